import { GraphError } from '../errors.ts';
import { invalid, isObject, required, type Json } from './params.ts';

/** Meta's documented limits for interactive messages. */
export const INTERACTIVE_LIMITS = {
  bodyText: 1024,
  headerText: 60,
  footerText: 60,
  replyButtons: 3,
  buttonTitle: 20,
  buttonId: 256,
  listButton: 20,
  sections: 10,
  rows: 10,
  sectionTitle: 24,
  rowTitle: 24,
  rowId: 200,
  rowDescription: 72,
  ctaDisplayText: 20,
} as const;

const TYPES = [
  'button',
  'list',
  'cta_url',
  'flow',
  'product',
  'product_list',
  'catalog_message',
  'location_request_message',
];

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function checkLength(value: string, min: number, max: number, what: string): void {
  if (value.length < min || value.length > max) {
    throw invalid(`${what} length invalid. Min length: ${min}, Max length: ${max}`);
  }
}

/** Validates interactive.{type, header, body, footer, action} against Meta's limits (131009). */
export function validateInteractive(i: Json): void {
  const type = i['type'];
  if (typeof type !== 'string') throw required("interactive['type']");
  if (!TYPES.includes(type)) {
    throw new GraphError(100, `Param interactive['type'] must be one of {${TYPES.join(', ')}}`, {
      message: `(#100) Param interactive['type'] must be one of {${TYPES.join(', ')}} - got "${type}".`,
    });
  }
  const body = i['body'];
  if (type !== 'product' && type !== 'catalog_message') {
    if (!isObject(body) || text(body['text']) === undefined) throw required("interactive['body']['text']");
  }
  if (isObject(body) && text(body['text']) !== undefined) {
    checkLength(text(body['text']) as string, 1, INTERACTIVE_LIMITS.bodyText, 'Message body');
  }
  const header = i['header'];
  if (isObject(header) && header['type'] === 'text') {
    checkLength(text(header['text']) ?? '', 1, INTERACTIVE_LIMITS.headerText, 'Header text');
  }
  const footer = i['footer'];
  if (isObject(footer))
    checkLength(text(footer['text']) ?? '', 1, INTERACTIVE_LIMITS.footerText, 'Footer text');
  const action = i['action'];
  if (!isObject(action)) throw required("interactive['action']");
  if (type === 'button') validateButtons(action);
  if (type === 'list') validateList(action);
  if (type === 'cta_url') validateCtaUrl(action);
}

function validateButtons(action: Json): void {
  const buttons = action['buttons'];
  if (!Array.isArray(buttons) || buttons.length === 0) throw required("interactive['action']['buttons']");
  if (buttons.length > INTERACTIVE_LIMITS.replyButtons) {
    throw invalid(`Buttons count invalid. Min: 1, Max: ${INTERACTIVE_LIMITS.replyButtons}`);
  }
  const ids = new Set<string>();
  const titles = new Set<string>();
  for (const b of buttons) {
    if (!isObject(b) || b['type'] !== 'reply' || !isObject(b['reply'])) {
      throw required("interactive['action']['buttons'][]['reply']");
    }
    const id = text(b['reply']['id']) ?? '';
    const title = text(b['reply']['title']) ?? '';
    checkLength(id, 1, INTERACTIVE_LIMITS.buttonId, 'Button id');
    checkLength(title, 1, INTERACTIVE_LIMITS.buttonTitle, 'Button title');
    if (ids.has(id)) throw invalid('Button ids must be unique');
    if (titles.has(title)) throw invalid('Button titles must be unique');
    ids.add(id);
    titles.add(title);
  }
}

function validateList(action: Json): void {
  checkLength(text(action['button']) ?? '', 1, INTERACTIVE_LIMITS.listButton, 'Button label');
  const sections = action['sections'];
  if (!Array.isArray(sections) || sections.length === 0) throw required("interactive['action']['sections']");
  if (sections.length > INTERACTIVE_LIMITS.sections) {
    throw invalid(`Sections count invalid. Min: 1, Max: ${INTERACTIVE_LIMITS.sections}`);
  }
  let rowCount = 0;
  const rowIds = new Set<string>();
  for (const s of sections) {
    if (!isObject(s) || !Array.isArray(s['rows']) || s['rows'].length === 0) {
      throw required("interactive['action']['sections'][]['rows']");
    }
    const title = text(s['title']);
    if (sections.length > 1 && title === undefined)
      throw required("interactive['action']['sections'][]['title']");
    if (title !== undefined) checkLength(title, 1, INTERACTIVE_LIMITS.sectionTitle, 'Section title');
    for (const r of s['rows']) {
      rowCount += 1;
      if (!isObject(r)) throw required("interactive['action']['sections'][]['rows'][]");
      const id = text(r['id']) ?? '';
      checkLength(id, 1, INTERACTIVE_LIMITS.rowId, 'Row id');
      checkLength(text(r['title']) ?? '', 1, INTERACTIVE_LIMITS.rowTitle, 'Row title');
      const description = text(r['description']);
      if (description !== undefined)
        checkLength(description, 0, INTERACTIVE_LIMITS.rowDescription, 'Row description');
      if (rowIds.has(id)) throw invalid('Row ids must be unique');
      rowIds.add(id);
    }
  }
  if (rowCount > INTERACTIVE_LIMITS.rows) {
    throw invalid(`Total row count exceed max allowed count: ${INTERACTIVE_LIMITS.rows}`);
  }
}

function validateCtaUrl(action: Json): void {
  if (action['name'] !== 'cta_url') throw invalid("interactive['action']['name'] must be cta_url");
  const p = action['parameters'];
  if (!isObject(p)) throw required("interactive['action']['parameters']");
  checkLength(text(p['display_text']) ?? '', 1, INTERACTIVE_LIMITS.ctaDisplayText, 'Display text');
  const url = text(p['url']);
  if (!url || !/^https?:\/\/\S+$/.test(url))
    throw invalid("interactive['action']['parameters']['url'] must be an http(s) URL");
}
