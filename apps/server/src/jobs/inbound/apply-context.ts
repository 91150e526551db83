import type { CrmPort } from '../../crm/crm-port.ts';
import type { DomainEvent } from '../../events/event-bus.ts';
import type { Channel } from '../../domain/model.ts';
import type { Db } from '../../storage/db.ts';
import { findChannelByPhoneNumberId } from '../../storage/repositories/channels.ts';

/** What one apply step works with: an open transaction, and collectors for after-commit effects. */
export interface ApplyContext {
  db: Db;
  now: Date;
  crm: CrmPort;
  /** published on the event bus only after the transaction commits */
  events: DomainEvent[];
  /** set when the step queued follow-up jobs (media downloads), whose workers are woken after commit */
  followUpsQueued: boolean;
  /** phone_number_ids that named no channel: the delivery is kept as 'unrouted' */
  unrouted: Set<string>;
  /** when the delivery was stored: the time shown for events Meta sent without one */
  receivedAt: Date;
  /**
   * Channels by phone_number_id, looked up once per transaction (nearly every delivery of a chunk
   * names the same number). Cleared after every business event, since those may change a channel.
   */
  channels: Map<string, Channel | null>;
}

export async function channelByPhoneNumberId(
  ctx: ApplyContext,
  phoneNumberId: string,
): Promise<Channel | null> {
  const cached = ctx.channels.get(phoneNumberId);
  if (cached !== undefined) return cached;
  const channel = await findChannelByPhoneNumberId(ctx.db, phoneNumberId);
  ctx.channels.set(phoneNumberId, channel);
  return channel;
}

/**
 * Deliveries are parsed with this fixed fallback time, so an event without a timestamp of its own
 * parses identically on every re-delivery (its dedupe key must not depend on when we got it).
 */
export const PARSE_FALLBACK_TIME = new Date(0);

export function occurredAtOf(ctx: ApplyContext, parsed: Date): Date {
  return parsed.getTime() === PARSE_FALLBACK_TIME.getTime() ? ctx.receivedAt : parsed;
}

export type ApplyOutcome = 'applied' | 'duplicate' | 'unrouted';
