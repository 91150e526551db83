import type { SimulatorCore } from '../core.ts';
import { isObject, type Json } from '../messages/params.ts';
import type { ThreadItem } from '../store.ts';
import { renderTemplate } from '../templates/check.ts';

/** One bubble of the phone page: plain data, rendered with textContent on the page. */
export interface Bubble {
  seq: number;
  direction: 'inbound' | 'outbound';
  wamid: string;
  type: string;
  at: string;
  text: string;
  /** outbound: accepted / sent / delivered / read / failed; inbound: read by the business or not */
  status: string;
  error: string | null;
  replyTo: string | null;
  mediaId: string | null;
  /** reply buttons, list rows or template quick replies the customer can tap */
  options: {
    kind: 'button' | 'row' | 'template_button' | 'url';
    id: string;
    title: string;
    description?: string;
  }[];
  listButton: string | null;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function obj(v: unknown): Json {
  return isObject(v) ? v : {};
}

export function toBubble(core: SimulatorCore, item: ThreadItem): Bubble {
  const base = {
    seq: item.seq,
    direction: item.direction,
    wamid: item.wamid,
    type: item.type,
    at: item.createdAt.toISOString(),
    error: null as string | null,
    replyTo: null as string | null,
    mediaId: null as string | null,
    options: [] as Bubble['options'],
    listButton: null as string | null,
  };
  const payload = item.direction === 'inbound' ? item.message : item.body;
  const raw = payload[item.type];
  const content = obj(raw);
  const context = obj(payload['context']);
  // a reaction quotes the message it reacts to, like a reply does
  base.replyTo =
    str(context['id'] ?? context['message_id']) ||
    (item.type === 'reaction' ? str(content['message_id']) : '') ||
    null;
  if (item.direction === 'outbound') {
    const error = item.errors[0];
    base.error = error ? `${error.code} ${error.title}` : null;
  }
  base.mediaId = str(content['id']) || null;
  const status = item.direction === 'outbound' ? item.status : item.readAt ? 'read' : 'received';
  return { ...base, status, text: describe(core, item, raw, base) };
}

function describe(
  core: SimulatorCore,
  item: ThreadItem,
  raw: unknown,
  b: Pick<Bubble, 'options' | 'listButton'>,
): string {
  const c = obj(raw);
  switch (item.type) {
    case 'text':
      return str(c['body']);
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker':
      return [`[${item.type}]`, str(c['filename']), str(c['caption']), str(c['link'])]
        .filter(Boolean)
        .join(' ');
    case 'location':
      return `📍 ${str(c['name']) || 'Location'} (${String(c['latitude'])}, ${String(c['longitude'])}) ${str(c['address'])}`.trim();
    case 'contacts':
      return `👤 ${(Array.isArray(raw) ? raw : []).map((x) => str(obj(obj(x)['name'])['formatted_name'])).join(', ')}`;
    case 'reaction':
      return str(c['emoji']) || '(reaction removed)';
    case 'button':
      return str(c['text']);
    case 'order':
      return `🛒 order (${Array.isArray(c['product_items']) ? c['product_items'].length : 0} items) ${str(c['text'])}`;
    case 'system':
      return str(c['body']);
    case 'unsupported':
      return '(unsupported message)';
    case 'interactive':
      return describeInteractive(c, b);
    case 'template':
      return describeTemplate(core, item, c, b);
    default:
      return `[${item.type}]`;
  }
}

function describeInteractive(c: Json, b: Pick<Bubble, 'options' | 'listButton'>): string {
  const type = str(c['type']);
  if (type === 'button_reply' || type === 'list_reply') return str(obj(c[type])['title']);
  const action = obj(c['action']);
  if (type === 'button') {
    for (const x of Array.isArray(action['buttons']) ? action['buttons'] : []) {
      const reply = obj(obj(x)['reply']);
      b.options.push({ kind: 'button', id: str(reply['id']), title: str(reply['title']) });
    }
  } else if (type === 'list') {
    b.listButton = str(action['button']);
    for (const s of Array.isArray(action['sections']) ? action['sections'] : []) {
      for (const r of Array.isArray(obj(s)['rows']) ? (obj(s)['rows'] as unknown[]) : []) {
        const row = obj(r);
        b.options.push({
          kind: 'row',
          id: str(row['id']),
          title: str(row['title']),
          description: str(row['description']),
        });
      }
    }
  } else if (type === 'cta_url') {
    const p = obj(action['parameters']);
    b.options.push({ kind: 'url', id: str(p['url']), title: str(p['display_text']) });
  }
  const header = obj(c['header']);
  const parts = [str(header['text']), str(obj(c['body'])['text']), str(obj(c['footer'])['text'])];
  return parts.filter(Boolean).join('\n');
}

function describeTemplate(
  core: SimulatorCore,
  item: ThreadItem,
  c: Json,
  b: Pick<Bubble, 'options'>,
): string {
  const name = str(c['name']);
  const language = str(obj(c['language'])['code']);
  const wabaId = core.business(item.phoneNumberId)?.wabaId ?? '';
  const template = core.templates.find(wabaId, name, language);
  if (!template) return `[template ${name}]`;
  const r = renderTemplate(template, Array.isArray(c['components']) ? (c['components'] as Json[]) : []);
  r.buttons.forEach((button, index) => {
    if (button.type === 'QUICK_REPLY')
      b.options.push({ kind: 'template_button', id: String(index), title: button.text });
  });
  return [r.header, r.body, r.footer].filter(Boolean).join('\n');
}
