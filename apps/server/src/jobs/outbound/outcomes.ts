import type { EventBus } from '../../events/event-bus.ts';
import type { Clock } from '../../domain/clock.ts';
import type { DatabaseHandle } from '../../storage/db.ts';
import type { ClaimedJob, JobQueue } from '../../storage/queue.ts';
import { updateEntry } from '../../storage/repositories/entries.ts';
import { updateOutbound, type OutboundRow } from '../../storage/repositories/outbound.ts';

interface OutcomeDeps {
  handle: DatabaseHandle;
  queue: JobQueue;
  clock: Clock;
  bus: EventBus;
}

export interface SendError {
  code: number | string | null;
  title: string | null;
  message: string;
  details: string | null;
}

/** Meta refused the message for good: the entry shows a reason a person understands. */
export async function failOutbound(
  deps: OutcomeDeps,
  job: ClaimedJob,
  outbound: OutboundRow,
  error: SendError,
): Promise<void> {
  await finish(deps, job, outbound, 'failed', error);
}

/** Out of attempts or time: kept as a dead letter (listable, retryable, discardable) with its last error. */
export async function deadLetterOutbound(
  deps: OutcomeDeps,
  job: ClaimedJob,
  outbound: OutboundRow,
  reason: string,
): Promise<void> {
  const last = outbound.last_error ? (JSON.parse(outbound.last_error) as Partial<SendError>) : {};
  await finish(deps, job, outbound, 'dead', {
    code: 'dead_letter',
    title: 'Not sent',
    message: reason,
    details: last.message ?? null,
  });
}

async function finish(
  deps: OutcomeDeps,
  job: ClaimedJob,
  outbound: OutboundRow,
  status: 'failed' | 'dead',
  error: SendError,
): Promise<void> {
  const now = deps.clock.now();
  await deps.handle.db.transaction().execute(async (trx) => {
    await updateOutbound(
      trx,
      outbound.id,
      { status, attempt_started_at: null, last_error: JSON.stringify(error) },
      now,
    );
    await updateEntry(trx, outbound.entry_id, { status: 'failed', error: JSON.stringify(error) });
    await deps.queue.complete(trx, [job.id]);
  });
  deps.bus.publish([
    {
      type: 'entry.updated',
      sessionId: outbound.session_id,
      entryId: outbound.entry_id,
      wamid: outbound.wamid,
      status: 'failed',
    },
  ]);
}
