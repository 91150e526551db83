import type { Db } from '../storage/db.ts';
import { enqueue } from '../storage/queue.ts';
import { updateEntry } from '../storage/repositories/entries.ts';
import {
  findOutbound,
  listDeadOutbound,
  updateOutbound,
  type OutboundRow,
} from '../storage/repositories/outbound.ts';
import { OUTBOUND_QUEUE } from './send-message.ts';

/** Outbound messages that ran out of attempts or time: listed with their last error, retried or discarded. */
export function listDeadLetters(db: Db, limit = 100): Promise<OutboundRow[]> {
  return listDeadOutbound(db, limit);
}

/** Queues a dead letter again as a fresh send (attempts reset); its entry goes back to queued. */
export async function retryDeadLetter(db: Db, id: string, now: Date): Promise<OutboundRow | null> {
  const row = await findOutbound(db, id);
  if (!row || row.status !== 'dead') return null;
  // A retry restarts the 24-hour clock too: a person decided it should still go.
  await db
    .updateTable('outbound_messages')
    .set({
      status: 'queued',
      attempts: 0,
      attempt_started_at: null,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    })
    .where('id', '=', id)
    .execute();
  await updateEntry(db, row.entry_id, { status: 'queued', error: null });
  await enqueue(db, [{ queue: OUTBOUND_QUEUE, payload: { outboundId: id }, maxAttempts: 10 }], now);
  return findOutbound(db, id);
}

export async function discardDeadLetter(db: Db, id: string, now: Date): Promise<OutboundRow | null> {
  const row = await findOutbound(db, id);
  if (!row || row.status !== 'dead') return null;
  await updateOutbound(db, id, { status: 'discarded' }, now);
  return findOutbound(db, id);
}
