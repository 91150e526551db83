import type { SimulatorCore } from './core.ts';
import { webhookError } from './errors.ts';
import { isObject, type Json } from './messages/params.ts';
import { advanceStatus } from './messages/lifecycle.ts';
import type { BusinessNumber } from './options.ts';
import { newWamid, type InboundMessage, type OutboundMessage } from './store.ts';
import { renderTemplate } from './templates/check.ts';
import { inboundMessageEvent } from './webhooks/payloads.ts';

/** Placeholder bytes for media a test does not care about (a 1×1 PNG, minimal headers otherwise). */
const PLACEHOLDER: Record<string, { mime: string; data: Buffer }> = {
  image: {
    mime: 'image/png',
    data: Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    ),
  },
  audio: { mime: 'audio/ogg; codecs=opus', data: Buffer.from('OggS\0simulated-voice-note') },
  video: { mime: 'video/mp4', data: Buffer.from('\0\0\0\x18ftypmp42simulated-video') },
  document: { mime: 'application/pdf', data: Buffer.from('%PDF-1.4\n% simulated document\n%%EOF\n') },
  sticker: { mime: 'image/webp', data: Buffer.from('RIFF\x1a\0\0\0WEBPVP8 simulated-sticker') },
};

export interface SendOptions {
  /** the business message this one replies to (context) */
  replyTo?: string;
  /** a click-to-WhatsApp ad or post the customer came from */
  referral?: Json;
  /** marks the message as forwarded */
  forwarded?: boolean;
}

export interface MediaInput extends SendOptions {
  data?: Buffer;
  mimeType?: string;
  caption?: string;
  filename?: string;
  /** audio: a voice note; sticker: animated */
  voice?: boolean;
  animated?: boolean;
}

/** The customer `waId` talking to a business number (default: the first), created on first use. */
export function customerFor(
  core: SimulatorCore,
  waId: string,
  profileName?: string,
  phoneNumberId?: string,
): Customer {
  const business = phoneNumberId ? core.business(phoneNumberId) : core.defaultBusiness();
  if (!business) throw new Error(`no business number ${phoneNumberId}`);
  core.store.customer(waId, profileName);
  return new Customer(core, waId, business);
}

/** A customer's phone: what they do becomes a webhook to the business, as on WhatsApp. */
export class Customer {
  constructor(
    private readonly core: SimulatorCore,
    readonly waId: string,
    private readonly business: Required<BusinessNumber>,
  ) {}

  get profileName(): string {
    return this.core.store.customer(this.waId).profileName;
  }

  sendText(body: string, options: SendOptions = {}): InboundMessage {
    return this.send('text', { body }, options);
  }

  sendImage(input: MediaInput = {}): InboundMessage {
    return this.sendMedia('image', input);
  }

  sendAudio(input: MediaInput = {}): InboundMessage {
    return this.sendMedia('audio', { voice: true, ...input });
  }

  sendVideo(input: MediaInput = {}): InboundMessage {
    return this.sendMedia('video', input);
  }

  sendDocument(input: MediaInput = {}): InboundMessage {
    return this.sendMedia('document', { filename: 'document.pdf', ...input });
  }

  sendSticker(input: MediaInput = {}): InboundMessage {
    return this.sendMedia('sticker', { animated: false, ...input });
  }

  sendLocation(
    location: { latitude: number; longitude: number; name?: string; address?: string; url?: string },
    options: SendOptions = {},
  ): InboundMessage {
    return this.send('location', { ...location }, options);
  }

  sendContacts(contacts: Json[], options: SendOptions = {}): InboundMessage {
    return this.send('contacts', contacts, options);
  }

  /** An empty emoji removes an earlier reaction, as on WhatsApp. */
  sendReaction(messageId: string, emoji: string): InboundMessage {
    return this.send('reaction', { message_id: messageId, emoji });
  }

  /** Taps a reply button (by id) or picks a list row (by id) of an interactive message. */
  sendInteractiveReply(messageId: string, optionId: string): InboundMessage {
    const m = this.outboundFor(messageId);
    const interactive = isObject(m.body['interactive']) ? m.body['interactive'] : {};
    const action = isObject(interactive['action']) ? interactive['action'] : {};
    if (interactive['type'] === 'button') {
      for (const b of Array.isArray(action['buttons']) ? action['buttons'] : []) {
        if (isObject(b) && isObject(b['reply']) && b['reply']['id'] === optionId) {
          const reply = { id: optionId, title: String(b['reply']['title']) };
          return this.send(
            'interactive',
            { type: 'button_reply', button_reply: reply },
            { replyTo: messageId },
          );
        }
      }
    }
    if (interactive['type'] === 'list') {
      for (const s of Array.isArray(action['sections']) ? action['sections'] : []) {
        for (const r of isObject(s) && Array.isArray(s['rows']) ? s['rows'] : []) {
          if (!isObject(r) || r['id'] !== optionId) continue;
          const reply: Json = { id: optionId, title: String(r['title']) };
          if (typeof r['description'] === 'string') reply['description'] = r['description'];
          return this.send('interactive', { type: 'list_reply', list_reply: reply }, { replyTo: messageId });
        }
      }
    }
    throw new Error(`message ${messageId} has no reply button or list row with id "${optionId}"`);
  }

  /** Taps a quick-reply button of a template message (by button index). */
  sendButton(messageId: string, index = 0): InboundMessage {
    const m = this.outboundFor(messageId);
    const t = isObject(m.body['template']) ? m.body['template'] : {};
    const lang = isObject(t['language']) ? String(t['language']['code']) : '';
    const template = this.core.templates.find(this.business.wabaId, String(t['name']), lang);
    const components = Array.isArray(t['components']) ? (t['components'] as Json[]) : [];
    const button = template ? renderTemplate(template, components).buttons[index] : undefined;
    if (!button) throw new Error(`message ${messageId} has no template button ${index}`);
    const text = button.text;
    return this.send('button', { text, payload: button.payload ?? text }, { replyTo: messageId });
  }

  sendOrder(order: { catalogId: string; text?: string; items: Json[] }): InboundMessage {
    const body: Json = { catalog_id: order.catalogId, product_items: order.items };
    if (order.text) body['text'] = order.text;
    return this.send('order', body);
  }

  /** The customer changed their number: Meta's system message. */
  sendSystemNumberChange(newWaId: string): InboundMessage {
    const body = `User ${this.profileName} changed from ${this.waId} to ${newWaId}`;
    return this.send('system', { body, new_wa_id: newWaId, type: 'user_changed_number' });
  }

  /** Something WhatsApp cannot pass on (a poll, a deleted message …): type "unsupported". */
  sendUnsupported(): InboundMessage {
    return this.send('unsupported', undefined);
  }

  /** Any message type with a hand-made body (for types this class has no helper for). */
  send(type: string, content: unknown, options: SendOptions = {}): InboundMessage {
    const core = this.core;
    const customer = core.store.customer(this.waId);
    const wamid = newWamid();
    const message: Json = { from: this.waId, id: wamid, timestamp: core.clock.unixSeconds(), type };
    if (content !== undefined) message[type] = content;
    if (type === 'unsupported') {
      message['errors'] = [webhookError(131051, 'Message type is currently not supported.')];
    }
    if (options.replyTo || options.forwarded) {
      const context: Json = {};
      if (options.replyTo)
        Object.assign(context, { from: this.business.displayPhoneNumber, id: options.replyTo });
      if (options.forwarded) context['forwarded'] = true;
      message['context'] = context;
    }
    const now = core.clock.nowMs();
    if (options.referral) {
      message['referral'] = options.referral;
      customer.lastReferralAt.set(this.business.phoneNumberId, now);
    }
    // a system notice is not the customer writing: it does not open the service window
    if (type !== 'system') customer.lastInboundAt.set(this.business.phoneNumberId, now);
    const record: InboundMessage = {
      seq: core.store.nextSeq(),
      wamid,
      phoneNumberId: this.business.phoneNumberId,
      from: this.waId,
      type,
      message,
      createdAt: core.clock.now(),
      readAt: null,
    };
    core.store.addInbound(record);
    core.emit(inboundMessageEvent(this.business, customer, message));
    return record;
  }

  /** Reads the business's messages (one, or all delivered so far): read status webhooks follow. */
  read(messageId?: string): void {
    const targets = messageId
      ? [this.outboundFor(messageId)]
      : this.core.store.sentTo(this.waId, this.business.phoneNumberId);
    for (const m of targets) {
      if (m.status === 'sent' || m.status === 'delivered') advanceStatus(this.core, this.business, m, 'read');
    }
  }

  /** What the business sent this customer. */
  received(): OutboundMessage[] {
    return this.core.store.sentTo(this.waId, this.business.phoneNumberId);
  }

  private sendMedia(kind: string, input: MediaInput): InboundMessage {
    const placeholder = PLACEHOLDER[kind] as { mime: string; data: Buffer };
    const mime = input.mimeType ?? placeholder.mime;
    const media = this.core.media.put(
      this.business.phoneNumberId,
      mime,
      input.data ?? placeholder.data,
      input.filename ?? null,
      this.core.clock.now(),
    );
    const body: Json = { mime_type: mime, sha256: media.sha256Base64, id: media.id };
    if (input.caption !== undefined) body['caption'] = input.caption;
    if (kind === 'document') body['filename'] = input.filename;
    if (kind === 'audio') body['voice'] = input.voice ?? false;
    if (kind === 'sticker') body['animated'] = input.animated ?? false;
    return this.send(kind, body, input);
  }

  private outboundFor(messageId: string): OutboundMessage {
    const m = this.core.store.outbound.get(messageId);
    if (!m || m.to !== this.waId)
      throw new Error(`the business sent no message ${messageId} to ${this.waId}`);
    return m;
  }
}
