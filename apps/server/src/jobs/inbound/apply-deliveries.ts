import { parseWebhookDelivery } from '../../channels/whatsapp/parse.ts';
import { MalformedDeliveryError, type InboundEvent } from '../../domain/inbound-event.ts';
import type { DomainEvent } from '../../events/event-bus.ts';
import type { ControlledTransaction } from 'kysely';
import type { Database } from '../../storage/schema.ts';
import { enqueue } from '../../storage/queue.ts';
import { inboundJob } from '../../storage/webhook-inbox.ts';
import { PARSE_FALLBACK_TIME, type ApplyContext, type ApplyOutcome } from './apply-context.ts';
import { applyBusinessEvent } from './apply-business.ts';
import { applyMessage } from './apply-message.ts';
import { applyStatus } from './apply-status.ts';
import type { InboundWorkerDeps } from './inbound-worker.ts';

type Done = {
  eventId: number;
  status: 'applied' | 'unrouted' | 'failed';
  note: string | null;
  unrouted: string[];
};

/** What one transaction applied; reported once it has committed (`reportApplied`). */
export interface AppliedChunk {
  done: Done[];
  failed: { eventId: number; error: unknown }[];
  outcomes: { kind: string; outcome: ApplyOutcome }[];
  events: DomainEvent[];
  followUpsQueued: boolean;
}

/**
 * Applies stored deliveries inside `trx`. Optimistically all together first, under one savepoint;
 * if one fails, that savepoint is rolled back and they are applied again each under a savepoint of
 * its own, so that the failing one rolls back alone and is listed in `failed`. (A savepoint per
 * delivery costs two statements each: on PostgreSQL two round trips, on both the most frequent
 * statements after the apply itself, for failures that are rare.) With `retryFailedAlone`, each
 * failed delivery is also queued in a retry job of its own (in this transaction), which goes the
 * leased way: its attempts are counted. Deliveries already applied (a re-run after a crash) are
 * skipped.
 */
export async function applyDeliveries(
  deps: InboundWorkerDeps,
  trx: ControlledTransaction<Database>,
  ids: readonly number[],
  now: Date,
  retryFailedAlone: boolean,
): Promise<AppliedChunk> {
  const rows =
    ids.length === 0
      ? []
      : await trx
          .selectFrom('webhook_events')
          .select(['id', 'body', 'received_at', 'status'])
          .where('id', 'in', ids)
          .execute();
  const stored = new Map(rows.map((r) => [r.id, r]));
  const channels: ApplyContext['channels'] = new Map();
  const together = await trx.savepoint('chunk').execute();
  let chunk: AppliedChunk;
  try {
    chunk = await applyEach(deps, together as Savepoints, ids, stored, channels, now, false);
    await together.releaseSavepoint('chunk').execute();
  } catch {
    await together.rollbackToSavepoint('chunk').execute();
    channels.clear(); // it may hold what the rollback undid
    chunk = await applyEach(deps, trx as Savepoints, ids, stored, channels, now, true);
  }
  for (const group of groupBy(chunk.done, (d) => `${d.status}\u0000${d.note ?? ''}`)) {
    await trx
      .updateTable('webhook_events')
      .set({ status: group[0]!.status, applied_at: now.toISOString(), note: group[0]!.note })
      .where(
        'id',
        'in',
        group.map((d) => d.eventId),
      )
      .execute();
  }
  if (retryFailedAlone && chunk.failed.length > 0)
    await enqueue(
      trx,
      chunk.failed.map((f) => inboundJob([f.eventId], { retry: true })),
      now,
    );
  return chunk;
}

/** A transaction in which any savepoint name may be released or rolled back to. */
type Savepoints = ControlledTransaction<Database, string[]>;

type StoredEvent = { id: number; body: Buffer; received_at: string; status: string };

/** One pass over the deliveries. `isolated`: each under its own savepoint, failures collected; else a failure throws. */
async function applyEach(
  deps: InboundWorkerDeps,
  trx: Savepoints,
  ids: readonly number[],
  stored: Map<number, StoredEvent>,
  channels: ApplyContext['channels'],
  now: Date,
  isolated: boolean,
): Promise<AppliedChunk> {
  const chunk: AppliedChunk = { done: [], failed: [], outcomes: [], events: [], followUpsQueued: false };
  for (const eventId of ids) {
    const row = stored.get(eventId);
    if (row?.status === 'applied') continue; // a re-run after a crash: this one committed before
    if (!row) {
      chunk.done.push({ eventId, status: 'failed', note: 'webhook event row not found', unrouted: [] });
      continue;
    }
    const parsed = parse(row.body);
    if (!parsed.ok) {
      chunk.done.push({ eventId, status: 'failed', note: parsed.error, unrouted: [] });
      continue;
    }
    const db = isolated ? await trx.savepoint('delivery').execute() : trx;
    const ctx: ApplyContext = {
      db,
      now,
      crm: deps.crm,
      events: [],
      followUpsQueued: false,
      unrouted: new Set(),
      receivedAt: new Date(row.received_at),
      channels,
    };
    const results: { kind: string; outcome: ApplyOutcome }[] = [];
    try {
      for (const event of parsed.events)
        results.push({ kind: event.kind, outcome: await applyEvent(ctx, event) });
      if (isolated) await (db as Savepoints).releaseSavepoint('delivery').execute();
    } catch (error) {
      if (!isolated) throw error;
      await (db as Savepoints).rollbackToSavepoint('delivery').execute();
      channels.clear();
      chunk.failed.push({ eventId, error });
      continue;
    }
    chunk.events.push(...ctx.events);
    if (ctx.followUpsQueued) chunk.followUpsQueued = true;
    chunk.outcomes.push(...results);
    const unrouted = [...ctx.unrouted];
    chunk.done.push({
      eventId,
      status: unrouted.length > 0 ? 'unrouted' : 'applied',
      note: unrouted.length > 0 ? `no channel for phone_number_id ${unrouted.join(', ')}` : null,
      unrouted,
    });
  }
  return chunk;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}

/** After the commit: metrics, logs and the event bus. */
export function reportApplied(deps: InboundWorkerDeps, chunk: AppliedChunk): void {
  const events = chunk.events;
  for (const o of chunk.outcomes) deps.metrics.inboundEvents.inc(o);
  for (const d of chunk.done) {
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
      return applyBusinessEvent(ctx, event).finally(() => ctx.channels.clear()); // it may change a channel
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
