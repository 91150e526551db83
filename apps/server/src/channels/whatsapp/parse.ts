import { MalformedDeliveryError, type BusinessRef, type InboundEvent } from '../../domain/inbound-event.ts';
import { parseManagementChange } from './parse-fields.ts';
import { parseMessage } from './parse-message.ts';
import { parseStatus } from './parse-status.ts';
import {
  isRecord,
  parseContacts,
  toDate,
  toMetaErrors,
  unknownChange,
  type EntryScope,
} from './parse-util.ts';
import { changeSchema, deliverySchema, entrySchema, messagesValueSchema } from './webhook-schema.ts';

/**
 * Turns one parsed webhook body into normalized inbound events. Pure: no I/O, no clock unless
 * `receivedAt` is omitted.
 *
 * - Throws MalformedDeliveryError only when the body is not a WhatsApp Business Account delivery
 *   at all (not an object, wrong `object`, no `entry` array).
 * - Never throws for content: an unknown or malformed message becomes an `unsupported` message,
 *   and an unknown field, status or shape becomes `unknown_change` with its raw value.
 * - Order: entries, then changes, as delivered; within a `messages` change: business_error,
 *   messages, statuses, then any other arrays.
 *
 * Times: messages and statuses use their own timestamp. Management fields use entry.time. When
 * Meta sent neither (entry.time is often absent on `messages` deliveries), the fallback is
 * `receivedAt`; callers replaying a stored delivery should pass its received-at time so parsing
 * stays deterministic. Without it, the time of the call is used.
 */
export function parseWebhookDelivery(body: unknown, receivedAt?: Date): InboundEvent[] {
  const delivery = deliverySchema.safeParse(body);
  if (!delivery.success) throw new MalformedDeliveryError(describeMalformed(body));
  const fallbackTime = receivedAt ?? new Date();

  const events: InboundEvent[] = [];
  for (const rawEntry of delivery.data.entry) {
    const entry = entrySchema.safeParse(rawEntry);
    if (!entry.success) {
      events.push(unknownChange(null, 'entry', fallbackTime, rawEntry));
      continue;
    }
    const scope: EntryScope = { wabaId: entry.data.id, entryTime: toDate(entry.data.time) ?? fallbackTime };
    for (const rawChange of entry.data.changes ?? []) {
      const change = changeSchema.safeParse(rawChange);
      if (!change.success) {
        events.push(unknownChange(scope.wabaId, 'change', scope.entryTime, rawChange));
      } else if (change.data.field === 'messages') {
        events.push(...parseMessagesChange(scope, change.data.value));
      } else {
        events.push(...parseManagementChange(scope, change.data.field, change.data.value));
      }
    }
  }
  return events;
}

/** Arrays of a `messages` value that are mapped; any other array is reported as unknown_change. */
const MAPPED_ARRAYS = new Set(['contacts', 'messages', 'statuses', 'errors']);

function parseMessagesChange(scope: EntryScope, value: unknown): InboundEvent[] {
  const parsed = messagesValueSchema.safeParse(value);
  if (!parsed.success) return [unknownChange(scope.wabaId, 'messages', scope.entryTime, value)];
  const v = parsed.data;
  const business: BusinessRef = {
    wabaId: scope.wabaId,
    phoneNumberId: v.metadata?.phone_number_id ?? null,
    displayPhoneNumber: v.metadata?.display_phone_number ?? null,
  };
  const contacts = parseContacts(v.contacts);

  const events: InboundEvent[] = [];
  if (v.errors && v.errors.length > 0) {
    events.push({
      kind: 'business_error',
      business,
      errors: toMetaErrors(v.errors),
      occurredAt: scope.entryTime,
    });
  }
  for (const message of v.messages ?? []) events.push(parseMessage(message, scope, business, contacts));
  for (const status of v.statuses ?? []) events.push(parseStatus(status, scope, business));
  for (const [key, item] of Object.entries(v)) {
    // e.g. user_actions (marketing click events), group events: not modelled yet, never dropped
    if (!MAPPED_ARRAYS.has(key) && Array.isArray(item)) {
      events.push(unknownChange(scope.wabaId, `messages.${key}`, scope.entryTime, item));
    }
  }
  if (events.length === 0) events.push(unknownChange(scope.wabaId, 'messages', scope.entryTime, value));
  return events;
}

function describeMalformed(body: unknown): string {
  if (!isRecord(body)) {
    return `webhook body is not a JSON object (got ${body === null ? 'null' : Array.isArray(body) ? 'array' : typeof body})`;
  }
  const object = body['object'];
  if (object !== 'whatsapp_business_account') {
    return `webhook body is not a WhatsApp Business Account delivery (object: ${JSON.stringify(object) ?? 'missing'})`;
  }
  return 'webhook body has no entry array';
}
