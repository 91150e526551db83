import { parseWebhookDelivery } from '../../channels/whatsapp/parse.ts';
import type { Clock } from '../../domain/clock.ts';
import { MalformedDeliveryError, type InboundEvent } from '../../domain/inbound-event.ts';
import type { CrmPort } from '../../crm/crm-port.ts';
import type { DomainEvent, EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { DatabaseHandle } from '../../storage/db.ts';
import { enqueue, type ClaimedJob, type JobQueue } from '../../storage/queue.ts';
import { inboundJob } from '../../storage/webhook-inbox.ts';
import { PARSE_FALLBACK_TIME, type ApplyContext, type ApplyOutcome } from './apply-context.ts';
import { applyBusinessEvent } from './apply-business.ts';
import { applyMessage } from './apply-message.ts';
import { applyStatus } from './apply-status.ts';
import { yieldToIo, type IngestPacer } from './ingest-pacer.ts';

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
 * Deliveries applied per transaction: small, so waiting webhooks never wait long (a first message
 * from a new customer, with its Lead, Case and session, takes about a millisecond to apply).
 */
const CHUNK = 4;

type Done = {
  eventId: number;
  status: 'applied' | 'unrouted' | 'failed';
  note: string | null;
  unrouted: string[];
};

/**
 * Applies stored deliveries. A job names one or more webhook events (the inbox makes one job per
 * group commit); they are applied in chunks, each chunk one transaction with a savepoint per
 * delivery: a delivery that fails rolls back alone and gets a job of its own to retry with backoff.
 * The job completes in the transaction of its last chunk; a crash in between re-runs the job, and
 * deliveries already applied are skipped.
 */
export function createInboundHandler(deps: InboundWorkerDeps) {
  return async (jobs: ClaimedJob[]): Promise<void> => {
    for (const job of jobs) {
      const ids = webhookEventIdsOf(job);
      for (let i = 0; i < ids.length || i === 0; i += CHUNK) {
        const slice = ids.slice(i, i + CHUNK);
        const lastChunk = i + CHUNK >= ids.length;
        const { pacer } = deps;
        if (!pacer) {
          await applyChunk(deps, job, slice, lastChunk);
          await yieldToIo();
          continue;
        }
        await pacer.beforeChunk(job.createdAt.getTime());
        // Timed inside the turn: waiting for the other loop's chunk is not this chunk's run time.
        await pacer.inTurn(async () => {
          const started = performance.now();
          await applyChunk(deps, job, slice, lastChunk);
          pacer.afterChunk(performance.now() - started);
        });
      }
    }
  };
}

async function applyChunk(
  deps: InboundWorkerDeps,
  job: ClaimedJob,
  ids: number[],
  lastChunk: boolean,
): Promise<void> {
  const rows =
    ids.length === 0
      ? []
      : await deps.handle.db
          .selectFrom('webhook_events')
          .select(['id', 'body', 'received_at', 'status'])
          .where('id', 'in', ids)
          .execute();
  const stored = new Map(rows.map((r) => [r.id, r]));
  const now = deps.clock.now();
  const events: DomainEvent[] = [];
  const done: Done[] = [];
  const failed: { eventId: number; error: unknown }[] = [];
  const outcomes: { kind: string; outcome: ApplyOutcome }[] = [];
  let followUpsQueued = false;
  const retryAlone = ids.length === 1 && webhookEventIdsOf(job).length === 1;

  const trx = await deps.handle.db.startTransaction().execute();
  try {
    for (const eventId of ids) {
      const row = stored.get(eventId);
      if (row?.status === 'applied') continue; // a re-run after a crash: this one committed before
      if (!row) {
        done.push({ eventId, status: 'failed', note: 'webhook event row not found', unrouted: [] });
        continue;
      }
      const parsed = parse(row.body);
      if (!parsed.ok) {
        done.push({ eventId, status: 'failed', note: parsed.error, unrouted: [] });
        continue;
      }
      const sp = await trx.savepoint('delivery').execute();
      const ctx: ApplyContext = {
        db: sp,
        now,
        crm: deps.crm,
        events: [],
        followUpsQueued: false,
        unrouted: new Set(),
        receivedAt: new Date(row.received_at),
      };
      try {
        const results: { kind: string; outcome: ApplyOutcome }[] = [];
        for (const event of parsed.events)
          results.push({ kind: event.kind, outcome: await applyEvent(ctx, event) });
        await sp.releaseSavepoint('delivery').execute();
        events.push(...ctx.events);
        if (ctx.followUpsQueued) followUpsQueued = true;
        outcomes.push(...results);
        const unrouted = [...ctx.unrouted];
        done.push({
          eventId,
          status: unrouted.length > 0 ? 'unrouted' : 'applied',
          note: unrouted.length > 0 ? `no channel for phone_number_id ${unrouted.join(', ')}` : null,
          unrouted,
        });
      } catch (error) {
        await sp.rollbackToSavepoint('delivery').execute();
        failed.push({ eventId, error });
      }
    }
    for (const d of done) {
      await trx
        .updateTable('webhook_events')
        .set({ status: d.status, applied_at: now.toISOString(), note: d.note })
        .where('id', '=', d.eventId)
        .execute();
    }
    // A delivery that failed inside a shared job is retried in a job of its own, with backoff.
    if (!retryAlone && failed.length > 0)
      await enqueue(
        trx,
        failed.map((f) => inboundJob([f.eventId])),
        now,
      );
    if (lastChunk && !(retryAlone && failed.length > 0)) {
      if ((await deps.queue.complete(trx, [job.id])) !== 1) {
        // Our lease ran out and another worker owns the job now: let it apply these deliveries.
        throw new Error(`lost the lease on inbound job ${job.id}`);
      }
    }
    await trx.commit().execute();
    // Only when there is something to take: a woken loop's claim is a write transaction of its own,
    // and waking the media loops after every chunk of text messages cost 8–20 % of the apply CPU.
    if (followUpsQueued) deps.afterCommit?.();
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
  await afterCommit(deps, job, done, failed, retryAlone, outcomes, events);
}

async function afterCommit(
  deps: InboundWorkerDeps,
  job: ClaimedJob,
  done: Done[],
  failed: { eventId: number; error: unknown }[],
  retryAlone: boolean,
  outcomes: { kind: string; outcome: ApplyOutcome }[],
  events: DomainEvent[],
): Promise<void> {
  for (const { eventId, error } of failed) {
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.warn(
      { jobId: job.id, webhookEventId: eventId, err: message },
      'inbound delivery failed; will retry',
    );
    if (retryAlone && (await deps.queue.fail(job.id, message)) === 'dead') {
      // Kept and reported, never silently dropped: the delivery shows as failed with the reason.
      await deps.handle.db
        .updateTable('webhook_events')
        .set({ status: 'failed', note: `gave up after ${job.attempts} attempts: ${message}` })
        .where('id', '=', eventId)
        .execute();
    }
  }
  for (const o of outcomes) deps.metrics.inboundEvents.inc(o);
  for (const d of done) {
    if (d.status === 'unrouted') {
      deps.logger.warn(
        { webhookEventId: d.eventId, note: d.note },
        'webhook delivery for an unknown number kept as unrouted',
      );
      for (const phoneNumberId of d.unrouted)
        events.push({ type: 'webhook.unrouted', webhookEventId: d.eventId, phoneNumberId });
    } else if (d.status === 'failed') {
      deps.logger.error(
        { webhookEventId: d.eventId, note: d.note },
        'webhook delivery could not be parsed; kept as failed',
      );
    }
  }
  deps.bus.publish(events);
}

function applyEvent(ctx: ApplyContext, event: InboundEvent): Promise<ApplyOutcome> {
  switch (event.kind) {
    case 'message':
      return applyMessage(ctx, event);
    case 'status':
      return applyStatus(ctx, event);
    default:
      return applyBusinessEvent(ctx, event);
  }
}

function parse(body: Buffer): { ok: true; events: InboundEvent[] } | { ok: false; error: string } {
  try {
    return { ok: true, events: parseWebhookDelivery(JSON.parse(body.toString('utf8')), PARSE_FALLBACK_TIME) };
  } catch (error) {
    if (error instanceof MalformedDeliveryError || error instanceof SyntaxError)
      return { ok: false, error: error.message };
    throw error;
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
