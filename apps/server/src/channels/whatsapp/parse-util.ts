import type { CustomerProfile, InboundEvent, MetaError } from '../../domain/inbound-event.ts';
import { contactSchema, metaErrorSchema, type WebhookContact } from './webhook-schema.ts';

/** What every mapper needs to know about the entry a change came from. */
export interface EntryScope {
  wabaId: string;
  /** entry.time, or the delivery's fallback time when Meta sent none */
  entryTime: Date;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Unix time (seconds, as a string or a number) to a Date; null when absent or not a number.
 * A value of 1e11 or more cannot be seconds (that is year 5138), so it is read as milliseconds:
 * relays and test tools sometimes send those.
 */
export function toDate(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) return null;
  return new Date(n >= 1e11 ? n : n * 1000);
}

/** Meta's error object to ours. Never throws: a non-object error keeps its text as the message. */
export function toMetaError(raw: unknown): MetaError {
  const parsed = metaErrorSchema.safeParse(raw);
  if (!parsed.success) {
    return { code: 0, title: null, message: typeof raw === 'string' ? raw : null, details: null, href: null };
  }
  const e = parsed.data;
  return {
    // 0 when Meta sent no usable code; real codes are positive
    code: e.code ?? 0,
    title: e.title ?? null,
    message: e.message ?? null,
    details: e.error_data?.details ?? null,
    href: e.href ?? null,
  };
}

export function toMetaErrors(raw: readonly unknown[] | null | undefined): MetaError[] {
  return (raw ?? []).map(toMetaError);
}

/** A change, entry or item we could not map: kept verbatim so the inbound worker can report it. */
export function unknownChange(
  wabaId: string | null,
  field: string,
  occurredAt: Date,
  raw: unknown,
): InboundEvent {
  return { kind: 'unknown_change', wabaId, field, occurredAt, raw };
}

/** value.contacts[], skipping entries that are not objects (they cannot be matched to anything). */
export function parseContacts(raw: readonly unknown[] | undefined): WebhookContact[] {
  const contacts: WebhookContact[] = [];
  for (const item of raw ?? []) {
    const parsed = contactSchema.safeParse(item);
    if (parsed.success) contacts.push(parsed.data);
  }
  return contacts;
}

export interface SenderIds {
  waId?: string | null | undefined;
  userId?: string | null | undefined;
  parentUserId?: string | null | undefined;
}

/**
 * The customer behind a message or preference: the contact whose wa_id (or, for username users,
 * user_id) matches the sender. When nothing matches but the change carries exactly one contact, that
 * contact is the sender (Meta sends one contact per sender; some real payloads put a different
 * number in `from`, and wa_id is the address Meta tells us to reply to). Callers whose item names
 * its user authoritatively (user_preferences) turn that fallback off. Returns null when there is
 * no identifier at all.
 */
export function resolveCustomer(
  contacts: readonly WebhookContact[],
  ids: SenderIds,
  { singleContactFallback = true } = {},
): CustomerProfile | null {
  const matched =
    contacts.find((c) => ids.waId && c.wa_id === ids.waId) ??
    contacts.find((c) => ids.userId && c.user_id === ids.userId) ??
    (singleContactFallback && contacts.length === 1 ? contacts[0] : undefined);
  // wa_id (phone) first; a username user without a known phone is addressed by BSUID alone
  const waId = matched?.wa_id ?? ids.waId ?? matched?.user_id ?? ids.userId ?? null;
  if (!waId) return null;
  return {
    waId,
    userId: matched?.user_id ?? ids.userId ?? null,
    parentUserId: matched?.parent_user_id ?? ids.parentUserId ?? null,
    profileName: matched?.profile?.name ?? null,
    username: matched?.profile?.username ?? null,
  };
}
