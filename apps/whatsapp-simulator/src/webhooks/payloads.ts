import type { WebhookError } from '../errors.ts';
import type { BusinessNumber } from '../options.ts';
import type { OutboundMessage, OutboundStatus } from '../store.ts';

export type WebhookKind = 'message' | 'status' | 'template_status' | 'business';

/** One change to deliver: Meta's `entry[].changes[]` item plus what batching needs to know. */
export interface WebhookEvent {
  kind: WebhookKind;
  wabaId: string;
  /** messaging changes are batched per business number; others are not batched */
  phoneNumberId: string | null;
  field: string;
  value: Record<string, unknown>;
}

export interface WebhookBody {
  object: 'whatsapp_business_account';
  entry: { id: string; time?: number; changes: { value: Record<string, unknown>; field: string }[] }[];
}

function metadata(b: BusinessNumber): { display_phone_number: string; phone_number_id: string } {
  return { display_phone_number: b.displayPhoneNumber, phone_number_id: b.phoneNumberId };
}

/** A customer's message, as the `messages` field delivers it (contacts + messages). */
export function inboundMessageEvent(
  business: BusinessNumber,
  customer: { waId: string; profileName: string },
  message: Record<string, unknown>,
): WebhookEvent {
  return {
    kind: 'message',
    wabaId: business.wabaId,
    phoneNumberId: business.phoneNumberId,
    field: 'messages',
    value: {
      messaging_product: 'whatsapp',
      metadata: metadata(business),
      contacts: [{ profile: { name: customer.profileName }, wa_id: customer.waId }],
      messages: [message],
    },
  };
}

/**
 * A status of a message the business sent. Today's shape (v24.0+): PMP pricing on sent and
 * delivered, no `conversation` object, `errors` on failed, no pricing on read or failed.
 */
export function statusEvent(
  business: BusinessNumber,
  message: OutboundMessage,
  status: Exclude<OutboundStatus, 'accepted'>,
  timestamp: string,
  errors: WebhookError[] = [],
): WebhookEvent {
  const item: Record<string, unknown> = {
    id: message.wamid,
    status,
    timestamp,
    recipient_id: message.to,
  };
  const callback = message.body['biz_opaque_callback_data'];
  if (typeof callback === 'string') item['biz_opaque_callback_data'] = callback;
  if ((status === 'sent' || status === 'delivered') && message.pricing) item['pricing'] = message.pricing;
  if (status === 'failed') item['errors'] = errors;
  return {
    kind: 'status',
    wabaId: business.wabaId,
    phoneNumberId: business.phoneNumberId,
    field: 'messages',
    value: { messaging_product: 'whatsapp', metadata: metadata(business), statuses: [item] },
  };
}

export function templateStatusEvent(
  wabaId: string,
  template: { id: string; name: string; language: string; category: string },
  event: string,
  reason: string | null,
): WebhookEvent {
  return {
    kind: 'template_status',
    wabaId,
    phoneNumberId: null,
    field: 'message_template_status_update',
    value: {
      event,
      message_template_id: Number(template.id),
      message_template_name: template.name,
      message_template_language: template.language,
      reason,
      message_template_category: template.category,
    },
  };
}

/**
 * Account-level fields Meta sends for a WABA: account_update, account_review_update,
 * phone_number_quality_update, phone_number_name_update, template quality and category updates…
 * The value is given as Meta documents it for that field; the simulator only delivers it, signed.
 */
export function businessEvent(wabaId: string, field: string, value: Record<string, unknown>): WebhookEvent {
  return { kind: 'business', wabaId, phoneNumberId: null, field, value };
}

/**
 * Wraps events into one delivery body. Messaging events for the same number merge into one
 * change (their contacts/messages/statuses arrays concatenate), the way Meta batches under load.
 */
export function buildBody(events: WebhookEvent[], timeSeconds: number): WebhookBody {
  const entries = new Map<string, WebhookBody['entry'][number]>();
  for (const event of events) {
    let entry = entries.get(event.wabaId);
    if (!entry) {
      entry = { id: event.wabaId, changes: [] };
      if (event.kind === 'template_status' || event.kind === 'business') entry.time = timeSeconds;
      entries.set(event.wabaId, entry);
    }
    const mergeInto =
      event.field === 'messages'
        ? entry.changes.find(
            (c) => c.field === 'messages' && phoneNumberIdOf(c.value) === event.phoneNumberId,
          )
        : undefined;
    if (!mergeInto) {
      entry.changes.push({ value: event.value, field: event.field });
      continue;
    }
    // copy before merging: event values are shared with retries and duplicates
    const merged: Record<string, unknown> = { ...mergeInto.value };
    for (const key of ['contacts', 'messages', 'statuses'] as const) {
      const add = event.value[key];
      if (!Array.isArray(add)) continue;
      const existing = merged[key];
      const all: unknown[] = Array.isArray(existing) ? [...(existing as unknown[]), ...add] : [...add];
      merged[key] = key === 'contacts' ? uniqueContacts(all) : all;
    }
    mergeInto.value = merged;
  }
  return { object: 'whatsapp_business_account', entry: [...entries.values()] };
}

function phoneNumberIdOf(value: Record<string, unknown>): string | null {
  const md = value['metadata'];
  if (md && typeof md === 'object' && 'phone_number_id' in md && typeof md.phone_number_id === 'string') {
    return md.phone_number_id;
  }
  return null;
}

function uniqueContacts(contacts: unknown[]): unknown[] {
  const seen = new Set<unknown>();
  return contacts.filter((c) => {
    const id = c && typeof c === 'object' && 'wa_id' in c ? c.wa_id : c;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
