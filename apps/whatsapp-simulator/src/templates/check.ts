import { GraphError } from '../errors.ts';
import { type Template, type TemplateComponent, variablesOf } from './store.ts';

export interface RequestParameter {
  type?: unknown;
  text?: unknown;
  parameter_name?: unknown;
  payload?: unknown;
  [k: string]: unknown;
}

export interface RequestComponent {
  type?: unknown;
  sub_type?: unknown;
  index?: unknown;
  parameters?: unknown;
}

const MEDIA_FORMATS = new Set(['IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION']);
const TEXTUAL = new Set(['text', 'currency', 'date_time']);

function parametersOf(c: RequestComponent | undefined): RequestParameter[] {
  return Array.isArray(c?.parameters) ? (c.parameters as RequestParameter[]) : [];
}

function findComponent(components: RequestComponent[], type: string): RequestComponent | undefined {
  return components.find((c) => typeof c.type === 'string' && c.type.toLowerCase() === type);
}

/**
 * The checks Meta runs when a template is sent: it must exist in that language and be approved
 * (132001), not paused (132015) or disabled (132016); every component must get exactly as many
 * parameters as it has variables (132000), of the right kind (132012), named ones by name.
 */
export function checkTemplateSend(
  template: Template | undefined,
  name: string,
  language: string,
  components: RequestComponent[],
): Template {
  if (!template || !['APPROVED', 'PAUSED', 'DISABLED'].includes(template.status)) {
    throw new GraphError(132001, `template name (${name}) does not exist in ${language}`);
  }
  if (template.status === 'PAUSED') {
    throw new GraphError(132015, `Template ${name} is paused and cannot be sent until it is unpaused.`);
  }
  if (template.status === 'DISABLED') {
    throw new GraphError(132016, `Template ${name} has been disabled and can no longer be sent.`);
  }
  for (const tc of template.components) {
    if (tc.type === 'HEADER') checkHeader(template, tc, findComponent(components, 'header'));
    if (tc.type === 'BODY') checkText(template, 'body', tc.text, findComponent(components, 'body'));
    if (tc.type === 'BUTTONS') checkButtons(tc, components);
  }
  return template;
}

function checkHeader(template: Template, tc: TemplateComponent, rc: RequestComponent | undefined): void {
  if (!tc.format || tc.format === 'TEXT') {
    checkText(template, 'header', tc.text, rc);
    return;
  }
  if (!MEDIA_FORMATS.has(tc.format)) return;
  const params = parametersOf(rc);
  if (params.length !== 1) {
    throw new GraphError(
      132000,
      `header: number of localizable_params (${params.length}) does not match the expected number of params (1)`,
    );
  }
  const received = typeof params[0]?.type === 'string' ? params[0].type.toUpperCase() : 'UNKNOWN';
  if (received !== tc.format) {
    throw new GraphError(132012, `header: Format mismatch, expected ${tc.format}, received ${received}`);
  }
}

function checkText(
  template: Template,
  where: string,
  text: string | undefined,
  rc: RequestComponent | undefined,
): void {
  const expected = variablesOf(text);
  const params = parametersOf(rc);
  if (params.length !== expected.length) {
    throw new GraphError(
      132000,
      `${where}: number of localizable_params (${params.length}) does not match the expected number of params (${expected.length})`,
    );
  }
  for (const p of params) {
    const type = typeof p.type === 'string' ? p.type : 'UNKNOWN';
    if (!TEXTUAL.has(type)) {
      throw new GraphError(
        132012,
        `${where}: Format mismatch, expected TEXT, received ${type.toUpperCase()}`,
      );
    }
    if (type === 'text' && (typeof p.text !== 'string' || p.text.length === 0)) {
      throw new GraphError(132012, `${where}: parameter text is missing or empty`);
    }
  }
  if (template.parameterFormat !== 'NAMED') return;
  const given = params.map((p) => (typeof p.parameter_name === 'string' ? p.parameter_name : ''));
  const missing = expected.filter((v) => !given.includes(v));
  if (missing.length > 0) {
    throw new GraphError(
      132012,
      `${where}: named parameters do not match the template; missing ${missing.map((m) => `'${m}'`).join(', ')}`,
    );
  }
}

function checkButtons(tc: TemplateComponent, components: RequestComponent[]): void {
  (tc.buttons ?? []).forEach((button, index) => {
    if (button.type !== 'URL' || variablesOf(button.url).length === 0) return;
    const rc = components.find(
      (c) => typeof c.type === 'string' && c.type.toLowerCase() === 'button' && Number(c.index) === index,
    );
    const count = parametersOf(rc).length;
    if (count !== 1) {
      throw new GraphError(
        132000,
        `button ${index}: number of localizable_params (${count}) does not match the expected number of params (1)`,
      );
    }
  });
}

export interface RenderedTemplate {
  header: string | null;
  body: string;
  footer: string | null;
  buttons: { type: string; text: string; payload: string | null }[];
}

/** The template's text with the request's parameters filled in (the phone page shows this). */
export function renderTemplate(template: Template, components: RequestComponent[]): RenderedTemplate {
  const fill = (text: string | undefined, rc: RequestComponent | undefined): string => {
    const params = parametersOf(rc);
    const vars = variablesOf(text);
    return (text ?? '').replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (whole, name: string) => {
      const byName = params.find((p) => p.parameter_name === name);
      const p = byName ?? params[vars.indexOf(name)];
      return p ? parameterText(p) : whole;
    });
  };
  const header = template.components.find((c) => c.type === 'HEADER');
  const body = template.components.find((c) => c.type === 'BODY');
  const footer = template.components.find((c) => c.type === 'FOOTER');
  const buttons = template.components.find((c) => c.type === 'BUTTONS')?.buttons ?? [];
  return {
    header: header
      ? header.format && header.format !== 'TEXT'
        ? `[${header.format.toLowerCase()}]`
        : fill(header.text, findComponent(components, 'header'))
      : null,
    body: fill(body?.text, findComponent(components, 'body')),
    footer: footer?.text ?? null,
    buttons: buttons.map((b, index) => {
      const rc = components.find(
        (c) => typeof c.type === 'string' && c.type.toLowerCase() === 'button' && Number(c.index) === index,
      );
      const payload = parametersOf(rc)[0]?.payload;
      return { type: b.type, text: b.text, payload: typeof payload === 'string' ? payload : null };
    }),
  };
}

function parameterText(p: RequestParameter): string {
  if (typeof p.text === 'string') return p.text;
  const rec = (v: unknown): Record<string, unknown> =>
    v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  if (p.type === 'currency') return String(rec(p['currency'])['fallback_value'] ?? '');
  if (p.type === 'date_time') return String(rec(p['date_time'])['fallback_value'] ?? '');
  return '';
}
