import { sql } from 'kysely';
import { classifySendFailure, GraphApiError } from '../../channels/whatsapp/graph-error.ts';
import { toGraphMessage } from '../../channels/whatsapp/message-payload.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Channel } from '../../domain/model.ts';
import type { OutboundMessage } from '../../domain/outbound.ts';
import type { DomainEvent, EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { DatabaseHandle, Db } from '../../storage/db.ts';
import type { ClaimedJob, JobQueue } from '../../storage/queue.ts';
import { findChannel, setChannelStatus } from '../../storage/repositories/channels.ts';
import {
  findOutboundByCallback,
  updateOutbound,
  type OutboundRow,
} from '../../storage/repositories/outbound.ts';
import { reconcileEntryStatus } from '../inbound/apply-status.ts';
import { GroupCommit } from './group-commit.ts';
import type { OutboundLimits } from './limits.ts';
import { deadLetterOutbound, failOutbound } from './outcomes.ts';
import { errorMessage } from '../error-message.ts';

export interface MessageSender {
  sendMessage(
    phoneNumberId: string,
    token: string,
    body: Record<string, unknown>,
  ): Promise<{ wamid: string }>;
}

export interface SenderDeps {
  handle: DatabaseHandle;
  queue: JobQueue;
  graph: MessageSender;
  clock: Clock;
  bus: EventBus;
  logger: Logger;
  metrics: Metrics;
  limits: OutboundLimits;
  accessTokenFor: (channel: Channel) => Promise<string | null>;
  /** how long to wait for a status webhook before resending after an unknown outcome */
  reconcileGraceMs?: number;
  /** how long a channel without working credentials waits between probes */
  credentialsHoldMs?: number;
  /** shares commits between concurrent sends (created per handler when not given) */
  writes?: GroupCommit;
}

type Deps = SenderDeps & { writes: GroupCommit };

/** The channel and its access token, read once per batch rather than once per message. */
type ChannelLookup = (channelId: string) => Promise<{ channel: Channel; token: string | null } | null>;

const DAY_MS = 24 * 3600 * 1000;
/** Longer waits than this go back to the queue instead of holding a worker. */
const MAX_INLINE_WAIT_MS = 5_000;
const FINAL = new Set(['accepted', 'failed', 'dead', 'discarded']);

/** Sends queued outbound messages, paced, each attempt recorded before the Graph call. */
export function createSenderHandler(senderDeps: SenderDeps) {
  const deps: Deps = { ...senderDeps, writes: senderDeps.writes ?? new GroupCommit(senderDeps.handle) };
  return async (jobs: ClaimedJob[]): Promise<void> => {
    const lookups = new Map<string, ReturnType<ChannelLookup>>();
    const channelOf: ChannelLookup = (channelId) => {
      let lookup = lookups.get(channelId);
      if (!lookup) {
        lookup = findChannel(deps.handle.db, channelId).then(async (channel) =>
          channel ? { channel, token: await deps.accessTokenFor(channel) } : null,
        );
        lookups.set(channelId, lookup);
      }
      return lookup;
    };
    // One read for the batch's messages rather than one per message.
    const ids = jobs.map((job) => (job.payload as { outboundId: string }).outboundId);
    const rows = await deps.handle.db
      .selectFrom('outbound_messages')
      .selectAll()
      .where('id', 'in', ids)
      .execute();
    const outbounds = new Map(rows.map((row) => [row.id, row]));
    // allSettled: when one send throws, the loop fails the batch's jobs that are still running;
    // with Promise.all that included sends still waiting for Meta's answer.
    const settled = await Promise.allSettled(
      jobs.map((job, i) => sendOne(deps, job, outbounds.get(ids[i]!) ?? null, channelOf)),
    );
    const thrown = settled.find((r) => r.status === 'rejected');
    if (thrown) throw thrown.reason;
    // Jobs whose turn is beyond the pacing window went back to the queue until then. This batch's
    // loop waits for that turn too: claiming more of the backlog now would only put it back again
    // (one write per job) and keep the loop spinning while the limits, not the loop, set the pace.
    const paced = settled.flatMap((r) =>
      r.status === 'fulfilled' && typeof r.value === 'number' ? [r.value] : [],
    );
    if (paced.length === 0) return;
    const pauseMs = Math.min(Math.min(...paced) - deps.clock.now().getTime(), MAX_INLINE_WAIT_MS);
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  };
}

/** Handles one job; when the limits put it back in the queue, returns when it is due (epoch ms). */
async function sendOne(
  deps: Deps,
  job: ClaimedJob,
  outbound: OutboundRow | null,
  channelOf: ChannelLookup,
): Promise<number | void> {
  const db = deps.handle.db;
  const lookup = outbound ? await channelOf(outbound.channel_id) : null;
  if (!outbound || !lookup || FINAL.has(outbound.status)) {
    await db.transaction().execute((trx) => deps.queue.complete(trx, [job.id]));
    return;
  }
  const { channel, token } = lookup;
  const now = deps.clock.now();
  const grace = deps.reconcileGraceMs ?? 60_000;

  // A previous attempt may have reached Meta (crash or timeout after sending): its status webhook
  // carries our biz_opaque_callback_data. Wait for it rather than sending the message twice.
  if (outbound.status === 'sending' && outbound.attempt_started_at) {
    const seen = await findOutboundByCallback(db, outbound.id);
    if (seen) return accept(deps, job, outbound, seen.wamid);
    const until = new Date(new Date(outbound.attempt_started_at).getTime() + grace);
    if (now < until) {
      await deps.queue.release(job.id, until, 'waiting for a status webhook to settle an unknown outcome');
      return;
    }
    // That status may have arrived and still wait in the inbox, unapplied (an inbound backlog, a
    // restart): resend only once every delivery received within the grace period is applied. Under
    // load on PostgreSQL, statuses were applied 4 to 10 s after they arrived and the sender, seeing
    // none after its grace, sent 39 of 2,000 messages twice (outbound fault test).
    const backlog = await oldestUnappliedDelivery(db);
    const young = now.getTime() - new Date(outbound.created_at).getTime() <= DAY_MS;
    if (backlog !== null && backlog <= until && young) {
      const recheck = new Date(now.getTime() + Math.min(grace, 1_000));
      await deps.queue.release(
        job.id,
        recheck,
        'waiting for the inbox to apply deliveries that may settle it',
      );
      return;
    }
    deps.logger.warn({ outboundId: outbound.id }, 'no status after an unknown outcome; sending again');
  }
  if (now.getTime() - new Date(outbound.created_at).getTime() > DAY_MS) {
    return deadLetter(deps, job, outbound, 'Not sent within 24 hours of being queued.');
  }
  const holdMs = deps.credentialsHoldMs ?? 15_000;
  if (channel.status === 'needs_credentials' && !deps.limits.mayProbe(channel.id, now.getTime(), holdMs)) {
    await deps.queue.release(job.id, new Date(now.getTime() + holdMs), 'channel needs new credentials');
    return;
  }
  if (!token)
    return credentialsFailed(
      deps,
      job,
      outbound,
      channel,
      'No WhatsApp access token is configured for this channel.',
    );

  // Reserves nothing unless the slot is within the window: a slot reserved for a job that goes back
  // to the queue would be lost, and the next one would be one interval later again (see limits.ts).
  const { waitMs, reserved } = deps.limits.reserve(
    channel,
    outbound.to_wa_id,
    now.getTime(),
    MAX_INLINE_WAIT_MS,
  );
  if (!reserved) {
    const due = now.getTime() + waitMs;
    await deps.queue.release(job.id, new Date(due), 'paced by the rate limits');
    return due;
  }
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));

  const startedAt = deps.clock.now();
  await deps.writes.run((trx) =>
    updateOutbound(
      trx,
      outbound.id,
      { status: 'sending', attempt_started_at: startedAt.toISOString(), attempts: outbound.attempts + 1 },
      startedAt,
    ),
  );
  const request = JSON.parse(outbound.request) as OutboundMessage;
  const callWaitMs = deps.limits.callWaitMs(channel, deps.clock.now().getTime());
  if (callWaitMs > 0) await new Promise((r) => setTimeout(r, callWaitMs));
  try {
    const { wamid } = await deps.graph.sendMessage(
      channel.phoneNumberId,
      token,
      toGraphMessage(request, { bizOpaqueCallbackData: outbound.id }),
    );
    deps.metrics.outboundSends.inc({ result: 'accepted' });
    if (
      channel.status === 'needs_credentials' &&
      (await setChannelStatus(db, channel.id, 'active', deps.clock.now()))
    ) {
      deps.logger.info({ channelId: channel.id }, 'channel credentials work again; sending resumes');
      deps.bus.publish([{ type: 'channel.updated', channelId: channel.id }]);
    }
    await accept(deps, job, outbound, wamid);
  } catch (error) {
    await handleFailure(deps, job, outbound, channel, error, grace);
  }
}

/** When the oldest delivery still waiting to be applied was received, or null when none waits. */
async function oldestUnappliedDelivery(db: Db): Promise<Date | null> {
  const row = await db
    .selectFrom('webhook_events')
    .select('received_at')
    .where('status', '=', 'received')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row ? new Date(row.received_at) : null;
}

async function handleFailure(
  deps: Deps,
  job: ClaimedJob,
  outbound: OutboundRow,
  channel: Channel,
  error: unknown,
  graceMs: number,
): Promise<void> {
  const now = deps.clock.now();
  const graphError = error instanceof GraphApiError ? error : null;
  const failure = graphError
    ? classifySendFailure(graphError)
    : {
        class: 'retry' as const,
        reason: errorMessage(error),
        retryAfterMs: undefined,
      };
  deps.metrics.outboundSends.inc({ result: failure.class });
  const lastError = JSON.stringify({
    code: graphError?.code ?? null,
    title: graphError?.title ?? null,
    message: failure.reason,
    details: graphError?.details ?? null,
  });

  if (graphError?.outcomeUnknown && failure.class === 'retry' && job.attempts < job.maxAttempts) {
    // Keep status 'sending' with its attempt time: the next run reconciles before any resend.
    await updateOutbound(deps.handle.db, outbound.id, { last_error: lastError }, now);
    await deps.queue.release(job.id, new Date(now.getTime() + Math.min(graceMs, 10_000)), failure.reason);
    return;
  }
  if (failure.class === 'credentials') return credentialsFailed(deps, job, outbound, channel, failure.reason);
  if (failure.class === 'permanent') {
    await failOutbound(deps, job, outbound, {
      code: graphError?.code ?? null,
      title: graphError?.title ?? null,
      message: failure.reason,
      details: graphError?.details ?? null,
    });
    return;
  }
  if (job.attempts >= job.maxAttempts)
    return deadLetter(deps, job, outbound, `Gave up after ${job.attempts} attempts: ${failure.reason}`);
  await updateOutbound(
    deps.handle.db,
    outbound.id,
    { status: 'queued', attempt_started_at: null, last_error: lastError },
    now,
  );
  await deps.queue.fail(job.id, failure.reason, { retryAfterMs: failure.retryAfterMs?.(job.attempts) });
}

async function credentialsFailed(
  deps: SenderDeps,
  job: ClaimedJob,
  outbound: OutboundRow,
  channel: Channel,
  reason: string,
): Promise<void> {
  const now = deps.clock.now();
  if (await setChannelStatus(deps.handle.db, channel.id, 'needs_credentials', now)) {
    deps.logger.error(
      { channelId: channel.id },
      'WhatsApp rejected the channel credentials; its sends are held',
    );
    deps.bus.publish([{ type: 'channel.updated', channelId: channel.id }]);
  }
  await updateOutbound(
    deps.handle.db,
    outbound.id,
    {
      status: 'queued',
      attempt_started_at: null,
      last_error: JSON.stringify({ code: 190, message: reason }),
    },
    now,
  );
  await deps.queue.release(job.id, new Date(now.getTime() + (deps.credentialsHoldMs ?? 15_000)), reason);
}

async function accept(deps: Deps, job: ClaimedJob, outbound: OutboundRow, wamid: string): Promise<void> {
  const now = deps.clock.now();
  const event = await deps.writes.run(async (trx): Promise<DomainEvent> => {
    // On PostgreSQL the inbound worker stores statuses in transactions beside this one (READ
    // COMMITTED): a status stored before this wamid is committed finds no entry to update, and this
    // transaction does not see that uncommitted status either, so the entry stayed at 'accepted' or
    // 'sent' for good (40 of 2,000 messages in the outbound fault test). SHARE mode waits for status
    // inserts in progress and holds new ones until this commits: one side always sees the other.
    // SQLite runs one writer at a time and needs nothing.
    if (deps.handle.dialect === 'postgres') await sql`lock table message_statuses in share mode`.execute(trx);
    await updateOutbound(
      trx,
      outbound.id,
      {
        status: 'accepted',
        wamid,
        accepted_at: now.toISOString(),
        attempt_started_at: null,
        last_error: null,
      },
      now,
    );
    await trx
      .updateTable('conversation_entries')
      .set({ wamid, status: 'accepted' })
      .where('id', '=', outbound.entry_id)
      .where('wamid', 'is', null)
      .execute();
    // Statuses may have come first (fast webhooks, or the crash we are recovering from).
    const early = await trx
      .selectFrom('message_statuses')
      .select('id')
      .where('wamid', '=', wamid)
      .limit(1)
      .executeTakeFirst();
    const reconciled = early ? await reconcileEntryStatus(trx, wamid) : null;
    await deps.queue.complete(trx, [job.id]);
    return {
      type: 'entry.updated',
      sessionId: outbound.session_id,
      entryId: outbound.entry_id,
      wamid,
      status: reconciled?.status ?? 'accepted',
    };
  });
  deps.bus.publish([event]);
}

async function deadLetter(
  deps: SenderDeps,
  job: ClaimedJob,
  outbound: OutboundRow,
  reason: string,
): Promise<void> {
  deps.metrics.outboundSends.inc({ result: 'dead' });
  await deadLetterOutbound(deps, job, outbound, reason);
}
