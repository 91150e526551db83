import { validateInteractive } from './interactive.ts';
import { graphParamError, invalid, isObject, required, type Json } from './params.ts';

export type { Json } from './params.ts';

export const SEND_TYPES = [
  'audio',
  'contacts',
  'document',
  'image',
  'interactive',
  'location',
  'reaction',
  'sticker',
  'template',
  'text',
  'video',
] as const;
export type SendType = (typeof SEND_TYPES)[number];
const MEDIA_TYPES = new Set<string>(['audio', 'document', 'image', 'sticker', 'video']);

export const TEXT_BODY_MAX = 4096;
export const MEDIA_CAPTION_MAX = 1024;

export interface TemplateRequest {
  name: string;
  language: string;
  components: Json[];
}

export type ParsedRequest =
  | { kind: 'read'; messageId: string; typingIndicator: boolean }
  | {
      kind: 'send';
      to: string;
      type: SendType;
      body: Json;
      content: Json;
      contextMessageId: string | null;
      template: TemplateRequest | null;
    };

/** Meta accepts "+1 (555) 010-0000" as well as "15550100000"; wa_ids are the digits. */
export function normalizeTo(to: string): string | null {
  const digits = to.replace(/[\s()+\-.]/g, '');
  return /^\d{5,15}$/.test(digits) ? digits : null;
}

/** Checks a POST /messages body the way the Cloud API does and says what it asks for. */
export function parseMessagesRequest(body: unknown): ParsedRequest {
  if (!isObject(body)) throw graphParamError('Invalid parameter');
  const product = body['messaging_product'];
  if (product === undefined) throw graphParamError('The parameter messaging_product is required.');
  if (typeof product !== 'string' || product.toLowerCase() !== 'whatsapp') {
    throw graphParamError(`Param messaging_product must be one of {WHATSAPP} - got "${String(product)}".`);
  }
  if (body['status'] !== undefined) return parseRead(body);

  const rawTo = body['to'];
  if (typeof rawTo !== 'string' || rawTo.length === 0) throw graphParamError('The parameter to is required.');
  const to = normalizeTo(rawTo);
  if (!to) throw invalid(`Invalid WhatsApp ID or phone number in 'to': ${rawTo}`);

  const type = body['type'] ?? 'text';
  if (typeof type !== 'string' || !(SEND_TYPES as readonly string[]).includes(type)) {
    throw graphParamError(
      `Param type must be one of {${SEND_TYPES.map((t) => t.toUpperCase()).join(', ')}} - got "${String(type)}".`,
    );
  }
  const sendType = type as SendType;
  const content = body[sendType];
  if (!isObject(content) && !(sendType === 'contacts' && Array.isArray(content))) throw required(sendType);

  const context = body['context'];
  let contextMessageId: string | null = null;
  if (context !== undefined) {
    if (!isObject(context) || typeof context['message_id'] !== 'string')
      throw required("context['message_id']");
    contextMessageId = context['message_id'];
  }

  let template: TemplateRequest | null = null;
  if (sendType === 'text') validateText(content as Json);
  else if (MEDIA_TYPES.has(sendType)) validateMedia(sendType, content as Json);
  else if (sendType === 'location') validateLocation(content as Json);
  else if (sendType === 'contacts') validateContacts(content);
  else if (sendType === 'reaction') validateReaction(content as Json);
  else if (sendType === 'interactive') validateInteractive(content as Json);
  else if (sendType === 'template') template = validateTemplate(content as Json);

  return {
    kind: 'send',
    to,
    type: sendType,
    body,
    content: Array.isArray(content) ? { contacts: content } : (content as Json),
    contextMessageId,
    template,
  };
}

function parseRead(body: Json): ParsedRequest {
  if (body['status'] !== 'read') {
    throw graphParamError(`Param status must be one of {READ} - got "${String(body['status'])}".`);
  }
  const id = body['message_id'];
  if (typeof id !== 'string' || id.length === 0)
    throw graphParamError('The parameter message_id is required.');
  const typing = body['typing_indicator'];
  if (typing !== undefined && (!isObject(typing) || typing['type'] !== 'text')) {
    throw graphParamError(`Param typing_indicator['type'] must be one of {TEXT}.`);
  }
  return { kind: 'read', messageId: id, typingIndicator: typing !== undefined };
}

function validateText(text: Json): void {
  const body = text['body'];
  if (typeof body !== 'string' || body.length === 0) throw required("text['body']");
  if (body.length > TEXT_BODY_MAX) {
    throw graphParamError(`Param text['body'] must be at most ${TEXT_BODY_MAX} characters long.`);
  }
  const preview = text['preview_url'];
  if (preview !== undefined && typeof preview !== 'boolean') {
    throw graphParamError(`Param text['preview_url'] must be a boolean.`);
  }
}

function validateMedia(type: string, media: Json): void {
  const id = media['id'];
  const link = media['link'];
  if (id === undefined && link === undefined) throw required(`${type}['id'] or ${type}['link']`);
  if (id !== undefined && link !== undefined) invalidBoth(type);
  if (id !== undefined && (typeof id !== 'string' || !/^\d+$/.test(id)))
    throw invalid(`${type}['id'] is not a valid media id`);
  if (link !== undefined && (typeof link !== 'string' || !/^https?:\/\/\S+$/.test(link))) {
    throw invalid(`${type}['link'] must be an http(s) URL`);
  }
  const caption = media['caption'];
  if (caption !== undefined) {
    if (type === 'audio' || type === 'sticker') throw invalid(`${type} messages cannot have a caption`);
    if (typeof caption !== 'string' || caption.length > MEDIA_CAPTION_MAX) {
      throw invalid(`${type}['caption'] must be a string of at most ${MEDIA_CAPTION_MAX} characters`);
    }
  }
}

function invalidBoth(type: string): never {
  throw invalid(`${type}: use either 'id' or 'link', not both`);
}

function validateLocation(location: Json): void {
  for (const key of ['latitude', 'longitude'] as const) {
    const v = location[key];
    if (v === undefined) throw required(`location['${key}']`);
    if (typeof v !== 'number' && !(typeof v === 'string' && Number.isFinite(Number(v)))) {
      throw invalid(`location['${key}'] must be a number`);
    }
  }
}

function validateContacts(contacts: unknown): void {
  if (!Array.isArray(contacts) || contacts.length === 0) throw required('contacts');
  contacts.forEach((c, i) => {
    if (!isObject(c) || !isObject(c['name']) || typeof c['name']['formatted_name'] !== 'string') {
      throw required(`contacts[${i}]['name']['formatted_name']`);
    }
  });
}

function validateReaction(reaction: Json): void {
  if (typeof reaction['message_id'] !== 'string' || reaction['message_id'].length === 0) {
    throw required("reaction['message_id']");
  }
  if (typeof reaction['emoji'] !== 'string') throw required("reaction['emoji']");
}

function validateTemplate(template: Json): TemplateRequest {
  const name = template['name'];
  if (typeof name !== 'string' || name.length === 0) throw required("template['name']");
  const language = template['language'];
  if (!isObject(language) || typeof language['code'] !== 'string')
    throw required("template['language']['code']");
  const components = template['components'] ?? [];
  if (!Array.isArray(components) || !components.every(isObject)) {
    throw invalid("template['components'] must be an array of objects");
  }
  return { name, language: language['code'], components };
}
