import { finalStatusOf } from '../../domain/delivery-status.ts';
import type { InboundEvent } from '../../domain/inbound-event.ts';
import type { Db } from '../../storage/db.ts';
import {
  insertStatus,
  listStatuses,
  lockEntryByWamid,
  updateEntry,
} from '../../storage/repositories/entries.ts';
import { occurredAtOf, type ApplyContext, type ApplyOutcome } from './apply-context.ts';

type StatusEvent = Extract<InboundEvent, { kind: 'status' }>;

/**
 * Records a delivery status once per (wamid, status). Statuses may come before the message they
 * describe, or out of order: the entry's status is always recomputed from the whole history, so
 * whichever arrives last, the stored state ends right.
 */
export async function applyStatus(ctx: ApplyContext, event: StatusEvent): Promise<ApplyOutcome> {
  const recorded = await insertStatus(
    ctx.db,
    {
      wamid: event.wamid,
      status: event.status,
      recipientId: event.recipientId,
      occurredAt: occurredAtOf(ctx, event.occurredAt),
      errors: event.errors,
      pricing: event.pricing,
      conversation: event.conversation,
      bizOpaqueCallbackData: event.bizOpaqueCallbackData,
    },
    ctx.now,
  );
  if (!recorded) return 'duplicate';
  ctx.events.push({ type: 'status.recorded', wamid: event.wamid, status: event.status });
  const entry = await reconcileEntryStatus(ctx.db, event.wamid);
  if (entry) ctx.events.push({ type: 'entry.updated', ...entry, wamid: event.wamid });
  return 'applied';
}

/**
 * Sets an entry's status and error from every status recorded for its wamid; null if no entry yet.
 * The entry's row is locked before the history is read: on PostgreSQL two statuses of one message
 * are applied in transactions side by side, and each saw only its own, so a 'sent' computed from
 * [sent] could overwrite the 'read' committed meanwhile (1 of 2,000 messages in the outbound fault
 * test). Whoever takes the lock second sees the first one's status once it has committed.
 */
export async function reconcileEntryStatus(
  db: Db,
  wamid: string,
): Promise<{ entryId: string; sessionId: string; status: string } | null> {
  const entry = await lockEntryByWamid(db, wamid);
  if (!entry || entry.direction !== 'outbound') return null;
  const history = await listStatuses(db, wamid);
  if (history.length === 0) return null;
  const status = finalStatusOf([entry.status, ...history.map((h) => h.status)]);
  const failed = history.find((h) => h.status === 'failed');
  const error = status === 'failed' && failed?.errors ? firstError(failed.errors) : entry.error;
  if (status !== entry.status || error !== entry.error) await updateEntry(db, entry.id, { status, error });
  return { entryId: entry.id, sessionId: entry.session_id, status };
}

function firstError(errorsJson: string): string | null {
  const errors = JSON.parse(errorsJson) as unknown[];
  return errors[0] === undefined ? null : JSON.stringify(errors[0]);
}
