import type { BusinessRef, DeliveryStatus, InboundEvent } from '../../domain/inbound-event.ts';
import { toDate, toMetaErrors, unknownChange, type EntryScope } from './parse-util.ts';
import { statusSchema } from './webhook-schema.ts';

const DELIVERY_STATUSES: ReadonlySet<string> = new Set<DeliveryStatus>([
  'sent',
  'delivered',
  'read',
  'played',
  'failed',
  'deleted',
]);

function isDeliveryStatus(value: string): value is DeliveryStatus {
  return DELIVERY_STATUSES.has(value);
}

/**
 * One value.statuses[] item → one `status` event.
 *
 * A status string we do not know (Meta adds some, e.g. payment statuses) or an item without an id
 * becomes `unknown_change` with field "messages.statuses" and the raw item, so the worker can log
 * it and nothing is applied to a message on a guess.
 */
export function parseStatus(raw: unknown, scope: EntryScope, business: BusinessRef): InboundEvent {
  const parsed = statusSchema.safeParse(raw);
  const status = parsed.success ? parsed.data.status.toLowerCase() : '';
  if (!parsed.success || !isDeliveryStatus(status)) {
    return unknownChange(scope.wabaId, 'messages.statuses', scope.entryTime, raw);
  }
  const s = parsed.data;
  const c = s.conversation;
  return {
    kind: 'status',
    business,
    wamid: s.id,
    status,
    recipientId: s.recipient_id ?? null,
    recipientUserId: s.recipient_user_id ?? null,
    recipientParentUserId: s.recipient_parent_user_id ?? null,
    occurredAt: toDate(s.timestamp) ?? scope.entryTime,
    errors: toMetaErrors(s.errors),
    pricing: s.pricing
      ? {
          model: s.pricing.pricing_model ?? null,
          billable: s.pricing.billable ?? null,
          category: s.pricing.category ?? null,
          type: s.pricing.type ?? null,
        }
      : null,
    conversation: c
      ? { id: c.id, originType: c.origin?.type ?? null, expiresAt: toDate(c.expiration_timestamp) }
      : null,
    bizOpaqueCallbackData: s.biz_opaque_callback_data ?? null,
  };
}
