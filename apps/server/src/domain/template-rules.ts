/**
 * Template rules checked locally before a send is queued, mirroring what Meta answers with 132001
 * (no such template/translation), 132000 (parameter count) and 132012/132018 (parameter format).
 * Reads Meta's component objects as GET /{waba-id}/message_templates returns them.
 */
import type {
  PolicyViolation,
  TemplateHeaderParameter,
  TemplateParameter,
  TemplateRecord,
  TemplateSend,
} from './outbound.ts';

export type TemplateHeaderFormat = 'text' | 'image' | 'video' | 'document' | 'location';

/** Whether a send must, may or must not carry a parameter for this button. */
export type ButtonParameterNeed = 'required' | 'optional' | 'none';

export interface TemplateButtonSlot {
  /** 0-based position among the template's buttons (the `index` of the send) */
  index: number;
  /** the send's sub_type: url, quick_reply, copy_code; others (phone_number, flow…) take no parameter */
  subType: string;
  /** variables in a dynamic URL ({{1}}) */
  placeholders: string[];
  parameter: ButtonParameterNeed;
  /** what the customer sees on the button */
  label: string;
}

export interface TemplatePlaceholders {
  /** null when the template has no header */
  headerFormat: TemplateHeaderFormat | null;
  /** variables of a text header; a media or location header needs one parameter of its format instead */
  header: string[];
  body: string[];
  buttons: TemplateButtonSlot[];
}

interface Components {
  headerFormat: TemplateHeaderFormat | null;
  headerText: string;
  body: string;
  footer: string;
  buttons: TemplateButtonSlot[];
}

/** `{{1}}` or `{{first_name}}`, spaces inside the braces tolerated as Meta does. */
const VARIABLE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

export function templatePlaceholders(record: TemplateRecord): TemplatePlaceholders {
  const c = readComponents(record);
  return {
    headerFormat: c.headerFormat,
    header: c.headerFormat === 'text' ? variablesOf(c.headerText) : [],
    body: variablesOf(c.body),
    buttons: c.buttons,
  };
}

/** Distinct variables in first-use order. */
function variablesOf(text: string): string[] {
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1] as string))];
}

function readComponents(record: TemplateRecord): Components {
  const result: Components = { headerFormat: null, headerText: '', body: '', footer: '', buttons: [] };
  for (const raw of record.components) {
    if (!isRecord(raw)) continue;
    const type = str(raw['type']).toUpperCase();
    if (type === 'HEADER') {
      const format = (str(raw['format']) || 'TEXT').toLowerCase();
      result.headerFormat = isHeaderFormat(format) ? format : null;
      result.headerText = str(raw['text']);
    } else if (type === 'BODY') {
      result.body = str(raw['text']);
    } else if (type === 'FOOTER') {
      result.footer = str(raw['text']);
    } else if (type === 'BUTTONS' && Array.isArray(raw['buttons'])) {
      result.buttons = raw['buttons'].filter(isRecord).map(readButton);
    }
  }
  return result;
}

function readButton(button: Record<string, unknown>, index: number): TemplateButtonSlot {
  const type = str(button['type']).toUpperCase();
  const label = str(button['text']);
  switch (type) {
    case 'URL': {
      const placeholders = variablesOf(str(button['url']));
      return {
        index,
        subType: 'url',
        placeholders,
        parameter: placeholders.length > 0 ? 'required' : 'none',
        label,
      };
    }
    // Without a payload Meta echoes the button text back, so the payload is optional.
    case 'QUICK_REPLY':
      return { index, subType: 'quick_reply', placeholders: [], parameter: 'optional', label };
    // Meta fixes the copy-code label; the code itself is sent with every message.
    case 'COPY_CODE':
      return { index, subType: 'copy_code', placeholders: [], parameter: 'required', label: 'Copy code' };
    // Authentication templates: the one-time code is sent as a url button parameter.
    case 'OTP':
      return { index, subType: 'url', placeholders: [], parameter: 'required', label: label || 'Copy code' };
    default:
      return { index, subType: type.toLowerCase(), placeholders: [], parameter: 'none', label };
  }
}

/**
 * The first reason Meta would refuse this template send, or null. `record` is the template in the
 * requested language; `available` are the same name's other translations (to say which exist).
 */
export function checkTemplateSend(
  send: TemplateSend,
  record: TemplateRecord | null,
  available: TemplateRecord[],
): PolicyViolation | null {
  if (record === null) return missingTemplate(send, available);
  if (record.status.toUpperCase() !== 'APPROVED') {
    return {
      code: 'template_not_approved',
      message: `Template "${send.name}" (${send.language}) is ${record.status}; only APPROVED templates can be sent`,
      field: 'content.template.name',
      details: { status: record.status },
    };
  }
  const c = readComponents(record);
  return countViolation(send, c) ?? formatViolation(send, record, c);
}

function missingTemplate(send: TemplateSend, available: TemplateRecord[]): PolicyViolation {
  const languages = [...new Set(available.filter((t) => t.name === send.name).map((t) => t.language))].sort();
  if (languages.length === 0) {
    return {
      code: 'template_not_found',
      message: `No template named "${send.name}" exists for this channel's WhatsApp Business Account`,
      field: 'content.template.name',
      details: { name: send.name },
    };
  }
  return {
    code: 'template_language_not_found',
    message: `Template "${send.name}" has no ${send.language} translation; it exists in ${languages.join(', ')}`,
    field: 'content.template.language',
    details: { name: send.name, language: send.language, languages },
  };
}

interface Counts {
  header: number;
  body: number;
  buttons: Record<string, number>;
}

function countViolation(send: TemplateSend, c: Components): PolicyViolation | null {
  const expected: Counts = { header: expectedHeaderCount(c), body: variablesOf(c.body).length, buttons: {} };
  const got: Counts = {
    header: send.header === undefined ? 0 : 1,
    body: send.body?.length ?? 0,
    buttons: {},
  };
  for (const b of send.buttons ?? []) got.buttons[b.index] = (got.buttons[b.index] ?? 0) + 1;
  for (const slot of c.buttons) {
    const sent = got.buttons[slot.index] ?? 0;
    // An optional parameter matches whatever was sent, up to one.
    const want = slot.parameter === 'required' ? 1 : slot.parameter === 'optional' ? Math.min(sent, 1) : 0;
    if (want > 0 || sent > 0) expected.buttons[slot.index] = want;
  }
  for (const index of Object.keys(got.buttons)) expected.buttons[index] ??= 0;

  const problems: { field: string; text: string }[] = [];
  if (got.header !== expected.header) {
    problems.push({
      field: 'content.template.header',
      text: `header expects ${expected.header}, got ${got.header}`,
    });
  }
  if (got.body !== expected.body) {
    problems.push({ field: 'content.template.body', text: `body expects ${expected.body}, got ${got.body}` });
  }
  for (const [index, want] of Object.entries(expected.buttons)) {
    const sent = got.buttons[index] ?? 0;
    if (sent !== want)
      problems.push({
        field: 'content.template.buttons',
        text: `button ${index} expects ${want}, got ${sent}`,
      });
  }
  const first = problems[0];
  if (first === undefined) return null;
  return {
    code: 'template_parameter_count',
    message: `Template "${send.name}" was given the wrong number of parameters: ${problems.map((p) => p.text).join('; ')}`,
    field: first.field,
    details: { expected, got },
  };
}

function expectedHeaderCount(c: Components): number {
  if (c.headerFormat === null) return 0;
  return c.headerFormat === 'text' ? variablesOf(c.headerText).length : 1;
}

function formatViolation(send: TemplateSend, record: TemplateRecord, c: Components): PolicyViolation | null {
  return (
    headerTypeViolation(send, c) ??
    namingViolation(send, record, c) ??
    textViolation(send) ??
    buttonViolation(send, c)
  );
}

function headerTypeViolation(send: TemplateSend, c: Components): PolicyViolation | null {
  if (send.header === undefined || c.headerFormat === null || send.header.type === c.headerFormat)
    return null;
  return formatError(
    'content.template.header.type',
    `the template's header is ${c.headerFormat}, but a ${send.header.type} header parameter was given`,
    { expected: c.headerFormat, got: send.header.type },
  );
}

/** Named templates take every parameter by its name; positional ones take none by name. */
function namingViolation(send: TemplateSend, record: TemplateRecord, c: Components): PolicyViolation | null {
  const named = record.parameterFormat === 'named';
  const params = (send.body ?? []).map((p, i) => ({
    field: `content.template.body[${i}].parameterName`,
    name: p.parameterName,
    known: variablesOf(c.body),
  }));
  if (send.header?.type === 'text') {
    const known = variablesOf(c.headerText);
    params.unshift({
      field: 'content.template.header.parameterName',
      name: send.header.parameterName,
      known,
    });
  }
  for (const { field, name, known } of params) {
    if (!named && name !== undefined) {
      const problem = `is set, but template "${send.name}" uses positional parameters ({{1}}, {{2}}…); leave names out`;
      return formatError(field, problem, { parameterFormat: 'positional' });
    }
    if (named && name === undefined) {
      const problem = `is required: template "${send.name}" uses named parameters (${known.join(', ')})`;
      return formatError(field, problem, { parameterFormat: 'named', known });
    }
    if (named && name !== undefined && !known.includes(name)) {
      const problem = `"${name}" is not a parameter of template "${send.name}" (it has ${known.join(', ') || 'none'})`;
      return formatError(field, problem, { unknown: name, known });
    }
  }
  const names = (send.body ?? []).map((p) => p.parameterName);
  const duplicate = names.findIndex((n, i) => n !== undefined && names.indexOf(n) !== i);
  if (duplicate < 0) return null;
  return formatError(
    `content.template.body[${duplicate}].parameterName`,
    `"${names[duplicate]}" is given twice`,
    {
      duplicate: names[duplicate],
    },
  );
}

/** Meta refuses text parameters that are empty, hold a newline or tab, or more than 4 spaces in a row. */
function textViolation(send: TemplateSend): PolicyViolation | null {
  const texts: { field: string; value: string }[] = [];
  if (send.header?.type === 'text')
    texts.push({ field: 'content.template.header.text', value: send.header.text });
  (send.body ?? []).forEach((p, i) => {
    texts.push(
      p.type === 'text'
        ? { field: `content.template.body[${i}].text`, value: p.text }
        : { field: `content.template.body[${i}].fallbackValue`, value: p.fallbackValue },
    );
  });
  for (const { field, value } of texts) {
    const problem = textParameterProblem(value);
    if (problem !== null) return formatError(field, problem, {});
  }
  return null;
}

function textParameterProblem(value: string): string | null {
  if (value.trim() === '') return 'must not be empty';
  if (/[\n\r\t]/.test(value))
    return 'cannot contain new lines or tabs (Meta refuses them in template parameters)';
  if (/ {5,}/.test(value))
    return 'cannot contain more than 4 consecutive spaces (Meta refuses them in template parameters)';
  return null;
}

function buttonViolation(send: TemplateSend, c: Components): PolicyViolation | null {
  for (const [i, b] of (send.buttons ?? []).entries()) {
    const slot = c.buttons.find((s) => s.index === b.index);
    if (slot !== undefined && slot.subType !== b.subType) {
      return formatError(
        `content.template.buttons[${i}].subType`,
        `is ${b.subType}, but button ${b.index} of the template is ${slot.subType}`,
        {
          expected: slot.subType,
          got: b.subType,
        },
      );
    }
    if (b.value.trim() === '')
      return formatError(`content.template.buttons[${i}].value`, 'must not be empty', {});
  }
  return null;
}

function formatError(field: string, problem: string, details: Record<string, unknown>): PolicyViolation {
  return { code: 'template_parameter_format', message: `${field} ${problem}`, field, details };
}

/** The text the customer will see: header, body with parameters filled in, footer, button labels. */
export function renderTemplatePreview(record: TemplateRecord, send: TemplateSend): string {
  const c = readComponents(record);
  const blocks = [
    renderHeader(c, send.header),
    fill(c.body, send.body ?? []),
    c.footer,
    c.buttons.map((b) => `[${b.label}]`).join('\n'),
  ];
  return blocks.filter((block) => block !== '').join('\n\n');
}

function renderHeader(c: Components, header: TemplateHeaderParameter | undefined): string {
  if (c.headerFormat === null) return '';
  if (c.headerFormat === 'text') return fill(c.headerText, header?.type === 'text' ? [header] : []);
  if (header?.type === 'location') return `[location${header.name ? `: ${header.name}` : ''}]`;
  const filename = header?.type === 'document' ? header.media.filename : undefined;
  return `[${c.headerFormat}${filename ? `: ${filename}` : ''}]`;
}

/** {{name}} takes the parameter of that name, {{n}} the n-th; a variable without a value stays as is. */
function fill(text: string, params: readonly TemplateParameter[]): string {
  return text.replace(VARIABLE, (whole, name: string) => {
    const byName = params.find((p) => p.parameterName === name);
    const param = byName ?? (/^\d+$/.test(name) ? params[Number(name) - 1] : undefined);
    if (param === undefined) return whole;
    return param.type === 'text' ? param.text : param.fallbackValue;
  });
}

function isHeaderFormat(value: string): value is TemplateHeaderFormat {
  return ['text', 'image', 'video', 'document', 'location'].includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
