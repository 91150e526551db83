import type { Clock } from '../../domain/clock.ts';
import type { CrmPort } from '../../crm/crm-port.ts';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { statementsHoldEventLoop, type DatabaseHandle } from '../../storage/db.ts';
import type { ClaimedJob, JobQueue } from '../../storage/queue.ts';
import { INBOUND_QUEUE } from '../../storage/webhook-inbox.ts';
import type { TakeResult } from '../worker-loop.ts';
import { applyDeliveries, reportApplied } from './apply-deliveries.ts';
import { yieldToIo, type IngestPacer } from './ingest-pacer.ts';
import { errorMessage } from '../error-message.ts';

export interface InboundWorkerDeps {
  handle: DatabaseHandle;
  queue: JobQueue;
  crm: CrmPort;
  bus: EventBus;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  /** called after a chunk that queued follow-up jobs (media downloads) commits, to wake their workers */
  afterCommit?: () => void;
  /** gives webhook acks priority while deliveries pour in (see ingest-pacer.ts) */
  pacer?: IngestPacer;
}

/**
 * Deliveries applied per transaction. Acks that arrive while a chunk runs wait for it, and a first
 * message from a new customer, with its Lead, Case and session, takes about a millisecond to apply:
 * so a worker that keeps up applies CHUNK at a time. Each transaction also has a fixed cost (the take
 * or claim, the channel, a savepoint, the job's delete, the commit's WAL frames), so a worker that
 * has fallen behind, by more than BEHIND_MS, applies CHUNK_WHEN_BEHIND at a time: draining a backlog
 * on SQLite cost 470 µs a delivery in chunks of 4 and 380 µs in chunks of 16. Not while webhooks
 * pour in (the pacer is busy): acks come first then. BEHIND_MS is longer than the pacer takes to
 * notice a burst (200 ms), or the first chunks of a burst would be the large ones.
 *
 * All of that is SQLite's synchronous driver, where a chunk holds the event loop. On PostgreSQL every
 * statement is a round trip that gives the loop back, so chunks are always CHUNK_WHEN_BEHIND: with 4,
 * its group commits at 1,000 deliveries/s (about 6 deliveries each) were too large to take, went the
 * claimed way in claims of up to 100 jobs, and waited there (lag p50 0.4–0.7 s, p99 1.3–1.9 s; with
 * 16, p50 31–468 ms and p99 0.6–1.6 s in five scratch runs on a two-core machine shared with
 * PostgreSQL, where the applies then run at capacity: BENCHMARKS.md).
 */
const CHUNK = 4;
const CHUNK_WHEN_BEHIND = 16;
const BEHIND_MS = 250;

/**
 * Applies stored deliveries. The inbox makes one job per group commit, naming its webhook events.
 * Two ways to run them:
 *
 * - `take` (the common case at ordinary rates): small first-attempt jobs, up to a chunk of deliveries, are
 *   read, applied and deleted in one transaction (JobQueue.takeReady). No claim is written first.
 * - `handler` (claimed with a lease): everything else — large jobs from a burst, retries, jobs that
 *   were waiting when this process started (one of them may have crashed the last one, and only a
 *   claim counts that attempt), jobs whose lease expired. They are applied in chunks, each one
 *   transaction; the job completes in the transaction of its last chunk, and a crash in between
 *   re-runs it, skipping the deliveries already applied.
 *
 * Either way a delivery that fails rolls back alone (apply-deliveries.ts) and is retried in a job of
 * its own, on the leased path, with backoff.
 */
export function createInboundWorker(deps: InboundWorkerDeps) {
  let newestAtStart: Promise<number> | null = null;

  const handler = async (jobs: ClaimedJob[]): Promise<void> => {
    for (const job of jobs) {
      const ids = webhookEventIdsOf(job);
      let next = 0;
      do {
        // Sized when its turn comes: the pacer may have calmed down while this chunk waited.
        await paced(job.createdAt.getTime(), () => {
          const slice = ids.slice(next, next + chunkSize(deps, job.createdAt));
          next += slice.length;
          return applyLeasedChunk(deps, job, slice, next >= ids.length);
        });
      } while (next < ids.length);
    }
  };

  const take = async (): Promise<TakeResult> => {
    // While deliveries pour in, the jobs are large and the leased path paces itself (ingest-pacer.ts).
    if (deps.pacer?.busy()) return 'left';
    newestAtStart ??= deps.queue.newestJobId();
    const after = await newestAtStart;
    return deps.pacer ? deps.pacer.inTurn(() => takeAndApply(deps, after)) : takeAndApply(deps, after);
  };

  const paced = async (queuedAt: number, chunk: () => Promise<void>): Promise<void> => {
    const { pacer } = deps;
    if (!pacer) {
      await chunk();
      await yieldToIo();
      return;
    }
    await pacer.beforeChunk(queuedAt);
    // Timed inside the turn: waiting for the other loop's chunk is not this chunk's run time.
    await pacer.inTurn(async () => {
      const started = performance.now();
      await chunk();
      pacer.afterChunk(performance.now() - started);
    });
  };

  return { handler, take };
}

/** Deliveries the next transaction applies, when the oldest job it applies from was queued at `queuedAt`. */
function chunkSize(deps: InboundWorkerDeps, queuedAt: Date): number {
  if (!statementsHoldEventLoop(deps.handle)) return CHUNK_WHEN_BEHIND; // see CHUNK
  const behind = deps.clock.now().getTime() - queuedAt.getTime() > BEHIND_MS;
  return behind && !deps.pacer?.busy() ? CHUNK_WHEN_BEHIND : CHUNK;
}

/** One transaction: take the oldest small first-attempt jobs, apply their deliveries, delete them. */
async function takeAndApply(deps: InboundWorkerDeps, newestAtStart: number): Promise<TakeResult> {
  const now = deps.clock.now();
  const taken: ClaimedJob[] = [];
  const trx = await deps.handle.db.startTransaction().execute();
  let left = false;
  let drained = false;
  let applied;
  try {
    const ids: number[] = [];
    const ready = await deps.queue.takeReady(trx, INBOUND_QUEUE, CHUNK_WHEN_BEHIND);
    drained = ready.length < CHUNK_WHEN_BEHIND;
    const limit = ready.length > 0 ? chunkSize(deps, ready[0]!.createdAt) : CHUNK;
    for (const job of ready) {
      const jobIds = takeableIds(job, newestAtStart);
      if (!jobIds || ids.length + jobIds.length > limit) {
        left = true; // stop at the first job we leave: jobs run in order
        break;
      }
      taken.push(job);
      ids.push(...jobIds);
    }
    if (taken.length === 0) {
      await trx.rollback().execute();
      return left ? 'left' : 'none';
    }
    applied = await applyDeliveries(deps, trx, ids, now, true);
    const completed = await deps.queue.completeTaken(
      trx,
      taken.map((j) => j.id),
    );
    if (completed !== taken.length) throw new Error('a taken inbound job changed within its transaction');
    await trx.commit().execute();
  } catch (error) {
    await trx.rollback().execute();
    const message = errorMessage(error);
    deps.logger.warn({ jobIds: taken.map((j) => j.id), err: message }, 'inbound jobs failed; will retry');
    // Counted now, so these go the leased way next, with backoff.
    for (const job of taken) await deps.queue.failTaken(job.id, message);
    return 'took';
  }
  if (applied.followUpsQueued) deps.afterCommit?.();
  logFailures(deps, applied.failed, taken[0]!.id);
  reportApplied(deps, applied);
  // retries were queued, ready now: go round, so that the claim picks them up
  return drained && !left && applied.failed.length === 0 ? 'drained' : 'took';
}

async function applyLeasedChunk(
  deps: InboundWorkerDeps,
  job: ClaimedJob,
  ids: number[],
  lastChunk: boolean,
): Promise<void> {
  const now = deps.clock.now();
  // A job of one delivery is retried as itself (queue.fail); a shared one queues its failures alone.
  const retryAlone = ids.length === 1 && webhookEventIdsOf(job).length === 1;
  const trx = await deps.handle.db.startTransaction().execute();
  let applied;
  try {
    applied = await applyDeliveries(deps, trx, ids, now, !retryAlone);
    if (lastChunk && !(retryAlone && applied.failed.length > 0)) {
      if ((await deps.queue.complete(trx, [job.id])) !== 1) {
        // Our lease ran out and another worker owns the job now: let it apply these deliveries.
        throw new Error(`lost the lease on inbound job ${job.id}`);
      }
    }
    await trx.commit().execute();
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
  // Only when there is something to take: a woken loop's claim is a write transaction of its own,
  // and waking the media loops after every chunk of text messages cost 8–20 % of the apply CPU.
  if (applied.followUpsQueued) deps.afterCommit?.();
  logFailures(deps, applied.failed, job.id);
  for (const { eventId, error } of applied.failed) {
    if (retryAlone && (await deps.queue.fail(job.id, errorMessage(error))) === 'dead') {
      // Kept and reported, never silently dropped: the delivery shows as failed with the reason.
      await deps.handle.db
        .updateTable('webhook_events')
        .set({ status: 'failed', note: `gave up after ${job.attempts} attempts: ${errorMessage(error)}` })
        .where('id', '=', eventId)
        .execute();
    }
  }
  reportApplied(deps, applied);
}

function logFailures(deps: InboundWorkerDeps, failed: { eventId: number; error: unknown }[], jobId: number) {
  for (const { eventId, error } of failed)
    deps.logger.warn(
      { jobId, webhookEventId: eventId, err: errorMessage(error) },
      'inbound delivery failed; will retry',
    );
}

/** The job's deliveries when `take` may run it: a first attempt, made since this process started, no retry. */
function takeableIds(job: ClaimedJob, newestAtStart: number): number[] | null {
  if (job.attempts !== 1 || job.id <= newestAtStart) return null;
  if ((job.payload as { retry?: unknown }).retry) return null;
  try {
    return webhookEventIdsOf(job);
  } catch {
    return null; // a malformed job fails on the leased path, where its attempts count
  }
}

function webhookEventIdsOf(job: ClaimedJob): number[] {
  const payload = job.payload as { webhookEventIds?: unknown; webhookEventId?: unknown };
  if (
    Array.isArray(payload.webhookEventIds) &&
    payload.webhookEventIds.every((id) => typeof id === 'number')
  ) {
    return payload.webhookEventIds as number[];
  }
  if (typeof payload.webhookEventId === 'number') return [payload.webhookEventId];
  throw new Error(`inbound job ${job.id} names no webhook events`);
}
