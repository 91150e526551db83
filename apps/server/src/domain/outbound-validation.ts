/**
 * Meta's Cloud API limits for outbound messages, checked before anything is queued, so the caller
 * learns which field is wrong (422) instead of a 131009 from Graph minutes later. Field paths are
 * relative to the request body `{ to, content, replyToWamid }`.
 *
 * Lengths are counted in Unicode code points: Meta says "characters" without defining them, and
 * code points are the more lenient reading (an emoji is one, not two), so we never refuse a text
 * Meta would accept.
 */
import type {
  InteractiveHeader,
  MediaKind,
  OutboundInteractive,
  OutboundMedia,
  OutboundMessage,
  PolicyViolation,
  TemplateSend,
} from './outbound.ts';

/** The numbers from Meta's message reference (text, media, interactive, reaction, template objects). */
export const OUTBOUND_LIMITS = {
  textBody: 4096,
  mediaCaption: 1024,
  interactiveBody: 1024,
  interactiveHeaderText: 60,
  interactiveFooterText: 60,
  replyButtons: 3,
  replyButtonId: 256,
  replyButtonTitle: 20,
  listButtonText: 20,
  listSections: 10,
  listRows: 10,
  listRowId: 200,
  listRowTitle: 24,
  listRowDescription: 72,
  listSectionTitle: 24,
  ctaDisplayText: 20,
  /** a template has at most 10 buttons, indexed 0–9 */
  templateButtons: 10,
} as const;

const MEDIA_KINDS: ReadonlySet<string> = new Set<MediaKind>([
  'image',
  'audio',
  'video',
  'document',
  'sticker',
]);

/** Every rule the message breaks, in request order; empty when it may be sent as far as Meta's limits go. */
export function validateOutbound(message: OutboundMessage): PolicyViolation[] {
  const out = new Problems();
  if (!/^\d{6,15}$/.test(message.to)) {
    out.add('to', "must be the customer's WhatsApp id: 6 to 15 digits, without '+' or spaces");
  }
  if (message.replyToWamid !== undefined) {
    if (message.replyToWamid === '') out.add('replyToWamid', 'must not be empty when given');
    else if (message.content.type === 'reaction') {
      out.add('replyToWamid', 'a reaction already targets a message and cannot also quote one', {
        code: 'unsupported_combination',
      });
    }
  }
  validateContent(out, message);
  return out.list;
}

function validateContent(out: Problems, message: OutboundMessage): void {
  const content = message.content;
  switch (content.type) {
    case 'text':
      out.length('content.body', content.body, 1, OUTBOUND_LIMITS.textBody);
      return;
    case 'template':
      validateTemplate(out, content.template);
      return;
    case 'interactive':
      validateInteractive(out, content.interactive);
      return;
    case 'reaction':
      if (content.targetWamid === '')
        out.add('content.targetWamid', 'must be the wamid of the message to react to');
      if (content.emoji !== '' && !isSingleEmoji(content.emoji)) {
        out.add('content.emoji', "must be exactly one emoji, or '' to remove the reaction");
      }
      return;
    default:
      if (MEDIA_KINDS.has(content.type)) validateMedia(out, 'content.media', content.type, content.media);
      else
        out.add(
          'content.type',
          `unknown content type ${JSON.stringify((content as { type: unknown }).type)}`,
        );
  }
}

/** `inHeader`: interactive and template headers take the file only, never a caption. */
function validateMedia(
  out: Problems,
  field: string,
  kind: MediaKind,
  media: OutboundMedia,
  inHeader = false,
): void {
  const hasId = media.id !== undefined && media.id !== '';
  const hasLink = media.link !== undefined && media.link !== '';
  if (hasId === hasLink) {
    out.add(field, hasId ? 'give either id or link, not both' : 'needs an uploaded media id or a link');
  }
  if (hasLink && !isUrl(media.link ?? '', ['https:'])) {
    out.add(`${field}.link`, 'must be an https URL that Meta can fetch');
  }
  if (media.caption !== undefined) {
    if (inHeader) out.add(`${field}.caption`, 'a header cannot have a caption');
    else if (kind === 'audio' || kind === 'sticker')
      out.add(`${field}.caption`, `${kind} messages cannot have a caption`);
    else out.length(`${field}.caption`, media.caption, 0, OUTBOUND_LIMITS.mediaCaption);
  }
  if (media.filename !== undefined) {
    if (kind !== 'document') out.add(`${field}.filename`, 'only documents have a file name');
    else out.length(`${field}.filename`, media.filename, 1, Number.POSITIVE_INFINITY);
  }
  if (media.voice !== undefined && kind !== 'audio') {
    out.add(`${field}.voice`, 'only audio can be sent as a voice note');
  }
}

function validateInteractive(out: Problems, interactive: OutboundInteractive): void {
  const base = 'content.interactive';
  if (interactive.header !== undefined)
    validateInteractiveHeader(out, interactive.header, interactive.type === 'list');
  out.length(`${base}.body`, interactive.body, 1, OUTBOUND_LIMITS.interactiveBody);
  if (interactive.footer !== undefined) {
    out.length(`${base}.footer`, interactive.footer, 1, OUTBOUND_LIMITS.interactiveFooterText);
  }
  switch (interactive.type) {
    case 'button':
      validateReplyButtons(out, interactive.buttons);
      return;
    case 'list':
      out.length(`${base}.buttonText`, interactive.buttonText, 1, OUTBOUND_LIMITS.listButtonText);
      validateSections(out, interactive.sections);
      return;
    case 'cta_url':
      out.length(`${base}.displayText`, interactive.displayText, 1, OUTBOUND_LIMITS.ctaDisplayText);
      if (!isUrl(interactive.url, ['https:', 'http:'])) out.add(`${base}.url`, 'must be an http(s) URL');
      return;
    default:
      out.add(
        `${base}.type`,
        `unknown interactive type ${JSON.stringify((interactive as { type: unknown }).type)}`,
      );
  }
}

function validateInteractiveHeader(out: Problems, header: InteractiveHeader, textOnly: boolean): void {
  const field = 'content.interactive.header';
  if (header.type === 'text') {
    out.length(`${field}.text`, header.text, 1, OUTBOUND_LIMITS.interactiveHeaderText);
  } else if (textOnly) {
    out.add(`${field}.type`, 'a list message header can only be text');
  } else {
    validateMedia(out, `${field}.media`, header.type, header.media, true);
  }
}

function validateReplyButtons(out: Problems, buttons: { id: string; title: string }[]): void {
  const field = 'content.interactive.buttons';
  if (buttons.length < 1 || buttons.length > OUTBOUND_LIMITS.replyButtons) {
    out.add(field, `needs 1 to ${OUTBOUND_LIMITS.replyButtons} buttons, got ${buttons.length}`);
  }
  const ids = new Map<string, string>();
  const titles = new Map<string, string>();
  buttons.forEach((button, i) => {
    out.length(`${field}[${i}].id`, button.id, 1, OUTBOUND_LIMITS.replyButtonId);
    out.length(`${field}[${i}].title`, button.title, 1, OUTBOUND_LIMITS.replyButtonTitle);
    out.unique(ids, button.id, `${field}[${i}].id`);
    // Meta: titles must be unique within the message too, or the customer cannot tell them apart.
    out.unique(titles, button.title, `${field}[${i}].title`);
  });
}

function validateSections(
  out: Problems,
  sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[],
): void {
  const field = 'content.interactive.sections';
  if (sections.length < 1 || sections.length > OUTBOUND_LIMITS.listSections) {
    out.add(field, `needs 1 to ${OUTBOUND_LIMITS.listSections} sections, got ${sections.length}`);
  }
  const rowIds = new Map<string, string>();
  let rowCount = 0;
  sections.forEach((section, s) => {
    const at = `${field}[${s}]`;
    if (section.title !== undefined)
      out.length(`${at}.title`, section.title, 1, OUTBOUND_LIMITS.listSectionTitle);
    else if (sections.length > 1)
      out.add(`${at}.title`, 'is required when the list has more than one section');
    if (section.rows.length === 0) out.add(`${at}.rows`, 'needs at least one row');
    section.rows.forEach((row, r) => {
      rowCount += 1;
      out.length(`${at}.rows[${r}].id`, row.id, 1, OUTBOUND_LIMITS.listRowId);
      out.length(`${at}.rows[${r}].title`, row.title, 1, OUTBOUND_LIMITS.listRowTitle);
      if (row.description !== undefined) {
        out.length(`${at}.rows[${r}].description`, row.description, 0, OUTBOUND_LIMITS.listRowDescription);
      }
      // Row ids are unique across the whole list: the reply names only the row id.
      out.unique(rowIds, row.id, `${at}.rows[${r}].id`);
    });
  });
  if (rowCount > OUTBOUND_LIMITS.listRows) {
    out.add(
      field,
      `has ${rowCount} rows in total; a list allows at most ${OUTBOUND_LIMITS.listRows} across all sections`,
    );
  }
}

function validateTemplate(out: Problems, template: TemplateSend): void {
  const field = 'content.template';
  if (template.name.trim() === '') out.add(`${field}.name`, 'is required');
  if (template.language.trim() === '')
    out.add(`${field}.language`, 'is required (a language code such as en_US)');
  const header = template.header;
  if (header?.type === 'text') {
    out.length(`${field}.header.text`, header.text, 1, Number.POSITIVE_INFINITY);
  } else if (header?.type === 'location') {
    if (!(Math.abs(header.latitude) <= 90)) out.add(`${field}.header.latitude`, 'must be between -90 and 90');
    if (!(Math.abs(header.longitude) <= 180))
      out.add(`${field}.header.longitude`, 'must be between -180 and 180');
  } else if (header !== undefined) {
    validateMedia(out, `${field}.header.media`, header.type, header.media, true);
  }
  const body = template.body ?? [];
  const named = body.filter((p) => p.parameterName !== undefined).length;
  if (named > 0 && named < body.length) {
    out.add(
      `${field}.body`,
      'mixes named and positional parameters; give every parameter a parameterName, or none',
      {
        details: { named, positional: body.length - named },
      },
    );
  }
  const names = new Map<string, string>();
  body.forEach((p, i) => {
    const at = `${field}.body[${i}]`;
    if (p.parameterName !== undefined) out.unique(names, p.parameterName, `${at}.parameterName`);
    if (p.type === 'text') out.length(`${at}.text`, p.text, 1, Number.POSITIVE_INFINITY);
    else out.length(`${at}.fallbackValue`, p.fallbackValue, 1, Number.POSITIVE_INFINITY);
    if (p.type === 'currency') {
      if (!/^[A-Z]{3}$/.test(p.code)) out.add(`${at}.code`, 'must be an ISO 4217 currency code such as USD');
      if (!Number.isSafeInteger(p.amount1000))
        out.add(`${at}.amount1000`, 'must be a whole number (the amount × 1000)');
    }
  });
  const indexes = new Map<string, string>();
  (template.buttons ?? []).forEach((b, i) => {
    const at = `${field}.buttons[${i}]`;
    if (!Number.isInteger(b.index) || b.index < 0 || b.index >= OUTBOUND_LIMITS.templateButtons) {
      out.add(
        `${at}.index`,
        `must be the button's position in the template, 0 to ${OUTBOUND_LIMITS.templateButtons - 1}`,
      );
    }
    out.unique(indexes, String(b.index), `${at}.index`);
    out.length(`${at}.value`, b.value, 1, Number.POSITIVE_INFINITY);
  });
}

/** One emoji grapheme: a pictograph (with skin tone, ZWJ sequence or variation selector), a flag or a keycap. */
export function isSingleEmoji(text: string): boolean {
  const graphemes = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)];
  if (graphemes.length !== 1) return false;
  return (
    /\p{Extended_Pictographic}/u.test(text) ||
    /^\p{Regional_Indicator}{2}$/u.test(text) ||
    /^[0-9#*]\uFE0F?\u20E3$/u.test(text)
  );
}

function isUrl(value: string, protocols: string[]): boolean {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

const charCount = (text: string): number => [...text].length;

/** Collects violations; every one is an invalid_message unless said otherwise. */
class Problems {
  readonly list: PolicyViolation[] = [];

  add(
    field: string,
    problem: string,
    extra: { code?: PolicyViolation['code']; details?: Record<string, unknown> } = {},
  ): void {
    const violation: PolicyViolation = {
      code: extra.code ?? 'invalid_message',
      message: `${field} ${problem}`,
      field,
    };
    if (extra.details !== undefined) violation.details = extra.details;
    this.list.push(violation);
  }

  length(field: string, value: string, min: number, max: number): void {
    const length = charCount(value);
    if (length < min) this.add(field, min === 1 ? 'must not be empty' : `needs at least ${min} characters`);
    else if (length > max) {
      this.add(field, `is ${length} characters; the limit is ${max}`, { details: { length, max } });
    }
  }

  /** Remembers where `value` was first used; a later use is reported, pointing at the first. */
  unique(seen: Map<string, string>, value: string, field: string): void {
    const first = seen.get(value);
    if (first === undefined) seen.set(value, field);
    else this.add(field, `duplicates ${first} (${JSON.stringify(value)}); it must be unique`);
  }
}
