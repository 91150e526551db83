import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CrmPort } from '../src/crm/crm-port.ts';
import { EmbeddedCrm } from '../src/crm/embedded/embedded-crm.ts';
import { systemClock, type Clock } from '../src/domain/clock.ts';
import { EventBus } from '../src/events/event-bus.ts';
import { createInboundWorker } from '../src/jobs/inbound/inbound-worker.ts';
import { IngestPacer } from '../src/jobs/inbound/ingest-pacer.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import type { Db } from '../src/storage/db.ts';
import { JobQueue, type ClaimedJob } from '../src/storage/queue.ts';
import { upsertChannel } from '../src/storage/repositories/channels.ts';
import { INBOUND_QUEUE, WebhookInbox } from '../src/storage/webhook-inbox.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import { CHANNEL, textDelivery } from './support/server.ts';

/** Counts claims, and can fail the completion of taken jobs (a whole transaction that fails). */
class ObservedQueue extends JobQueue {
  claims = 0;
  failCompletions = 0;
  override async claim(queues: readonly string[], limit: number): Promise<ClaimedJob[]> {
    this.claims += 1;
    return super.claim(queues, limit);
  }
  override async completeTaken(trx: Db, ids: readonly number[]): Promise<number> {
    if (this.failCompletions-- > 0) throw new Error('disk I/O error');
    return super.completeTaken(trx, ids);
  }
}

/** A CRM whose Lead creation fails for the phone numbers in `failing`. */
class FlakyCrm extends EmbeddedCrm implements CrmPort {
  readonly failing = new Set<string>();
  override async createLead(...args: Parameters<EmbeddedCrm['createLead']>) {
    if (this.failing.has(args[1].phoneE164)) throw new Error('CRM unavailable');
    return super.createLead(...args);
  }
}

/**
 * The inbound worker takes small first-attempt jobs inside its apply transaction (no claim); jobs
 * that may have failed before, or crashed a process, go the claimed way, where attempts count.
 */
describe.each(testDialects())('inbound jobs taken without a claim (%s)', (dialect) => {
  let t: TestDatabase;
  let queue: ObservedQueue;
  let inbox: WebhookInbox;
  let crm: FlakyCrm;
  beforeEach(async () => {
    t = await createTestDatabase(dialect);
    await upsertChannel(t.handle.db, CHANNEL, new Date());
    queue = new ObservedQueue(t.handle, { workerId: 'take-test' });
    inbox = new WebhookInbox(t.handle, systemClock);
    crm = new FlakyCrm();
  });
  afterEach(async () => t?.destroy());

  const worker = (pacer?: IngestPacer, clock: Clock = systemClock) =>
    createInboundWorker({
      handle: t.handle,
      queue,
      crm,
      bus: new EventBus(),
      clock,
      metrics: createMetrics(),
      logger: createLogger('silent'),
      ...(pacer && { pacer }),
    });
  const receive = (wamid: string, from: string) =>
    inbox.append({
      body: Buffer.from(JSON.stringify(textDelivery({ wamid, from }))),
      signature: 'sha256=test',
    });
  /** `count` deliveries from distinct new customers, in one group commit: one job naming them all */
  const receiveTogether = (prefix: string, count: number) =>
    Promise.all(Array.from({ length: count }, (_, i) => receive(`${prefix}-${i}`, `4477009006${10 + i}`)));
  const entriesLike = async (prefix: string) =>
    (await t.handle.db.selectFrom('conversation_entries').select('wamid').execute()).filter((e) =>
      e.wamid?.startsWith(prefix),
    ).length;
  const entry = (wamid: string) =>
    t.handle.db.selectFrom('conversation_entries').select('id').where('wamid', '=', wamid).executeTakeFirst();
  const inboundJobs = () =>
    t.handle.db.selectFrom('jobs').selectAll().where('queue', '=', INBOUND_QUEUE).orderBy('id').execute();
  const eventStatus = async (wamid: string) => {
    const rows = await t.handle.db.selectFrom('webhook_events').select(['body', 'status']).execute();
    return rows.find((r) => r.body.toString('utf8').includes(wamid))?.status;
  };

  it('applies a job made since it started in one transaction, without a claim', async () => {
    const inbound = worker();
    expect(await inbound.take()).toBe('none'); // nothing yet; this also marks where "since" starts
    await receive('wamid.take-1', '447700900501');
    await receive('wamid.take-2', '447700900502');
    expect(await inbound.take()).toBe('drained');
    expect(await entry('wamid.take-1')).toBeDefined();
    expect(await entry('wamid.take-2')).toBeDefined();
    expect(await inboundJobs()).toEqual([]);
    expect(queue.claims).toBe(0);
  });

  it('leaves jobs that were waiting when it started to a claim, which counts the attempt', async () => {
    await receive('wamid.before-start', '447700900511'); // may be the job that crashed the last process
    const inbound = worker();
    expect(await inbound.take()).toBe('left');
    await receive('wamid.after-start', '447700900512');
    expect(await inbound.take()).toBe('left'); // jobs run in order: nothing behind the one left is taken
    expect(await entry('wamid.after-start')).toBeUndefined();

    const claimed = await queue.claim([INBOUND_QUEUE], 10);
    expect(claimed.map((j) => j.attempts)).toEqual([1, 1]);
    await inbound.handler(claimed);
    expect(await entry('wamid.before-start')).toBeDefined();
    expect(await entry('wamid.after-start')).toBeDefined();
    expect(await inboundJobs()).toEqual([]);
  });

  it('retries a delivery that failed in a job of its own, on the claimed path', async () => {
    const inbound = worker();
    await inbound.take();
    crm.failing.add('+447700900521'); // the first message from a new customer creates a Lead
    await receive('wamid.flaky', '447700900521');
    expect(await inbound.take()).toBe('took');
    expect(await entry('wamid.flaky')).toBeUndefined();
    expect(await eventStatus('wamid.flaky')).toBe('received');
    const [retry] = await inboundJobs();
    expect(JSON.parse(retry!.payload)).toMatchObject({ retry: true });

    crm.failing.clear();
    expect(await inbound.take()).toBe('left');
    const claimed = await queue.claim([INBOUND_QUEUE], 10);
    await inbound.handler(claimed);
    expect(await entry('wamid.flaky')).toBeDefined();
    expect(await eventStatus('wamid.flaky')).toBe('applied');
    expect(await inboundJobs()).toEqual([]);
  });

  it('applies the others of a transaction when one delivery fails in it', async () => {
    const inbound = worker();
    await inbound.take();
    crm.failing.add('+447700900542');
    await receive('wamid.chunk-1', '447700900541');
    await receive('wamid.chunk-2', '447700900542');
    await receive('wamid.chunk-3', '447700900543');
    expect(await inbound.take()).toBe('took'); // the three jobs in one transaction
    expect(await entry('wamid.chunk-1')).toBeDefined();
    expect(await entry('wamid.chunk-2')).toBeUndefined();
    expect(await entry('wamid.chunk-3')).toBeDefined();
    expect(await eventStatus('wamid.chunk-1')).toBe('applied');
    expect(await eventStatus('wamid.chunk-2')).toBe('received');
    expect(await eventStatus('wamid.chunk-3')).toBe('applied');
    const jobs = await inboundJobs();
    expect(jobs.map((j) => JSON.parse(j.payload) as unknown)).toEqual([
      { webhookEventIds: [expect.any(Number)], retry: true },
    ]);
    // nothing of the failed one survived the rollback: no end user, no Lead
    const endUsers = await t.handle.db.selectFrom('end_users').select('wa_id').execute();
    expect(endUsers.map((u) => u.wa_id).sort()).toEqual(['447700900541', '447700900543']);
  });

  it('rolls back a transaction that fails, then counts the attempt and backs off', async () => {
    const inbound = worker();
    await inbound.take();
    await receive('wamid.rolled-back', '447700900531');
    queue.failCompletions = 1;
    expect(await inbound.take()).toBe('took');
    expect(await entry('wamid.rolled-back')).toBeUndefined(); // the apply rolled back with it
    expect(await eventStatus('wamid.rolled-back')).toBe('received');
    const [job] = await inboundJobs();
    expect(job).toMatchObject({ status: 'queued', attempts: 1, last_error: 'disk I/O error' });
    expect(Date.parse(job!.run_at)).toBeGreaterThan(Date.now());
    expect(await inbound.take()).toBe('none'); // backing off

    await t.handle.db
      .updateTable('jobs')
      .set({ run_at: new Date(0).toISOString() })
      .execute();
    expect(await inbound.take()).toBe('left'); // a second attempt is claimed, not taken
    await inbound.handler(await queue.claim([INBOUND_QUEUE], 10));
    expect(await entry('wamid.rolled-back')).toBeDefined();
  });

  /** A worker's clock, standing still: keeping up or behind does not depend on how fast the test runs. */
  const clock = { at: new Date(), now: () => clock.at };
  /** Sets the worker's clock to `ms` after the oldest queued job was queued. */
  const afterOldestJob = async (ms: number) => {
    const oldest = await t.handle.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.min('created_at').as('at'))
      .executeTakeFirstOrThrow();
    clock.at = new Date(Date.parse(String(oldest.at)) + ms);
  };

  // SQLite: a chunk holds the event loop, so 4 while keeping up. PostgreSQL: every statement gives
  // the loop back, so always 16 (chunks of 4 sent its 6-delivery group commits the leased way).
  const onSqlite = dialect === 'sqlite';

  it('takes 4 deliveries a transaction while it keeps up on SQLite, and 16 once behind or on PostgreSQL', async () => {
    const inbound = worker(undefined, clock);
    await inbound.take(); // where "made since it started" begins
    for (let i = 0; i < 24; i++) await receive(`wamid.backlog-${i}`, `4477009007${10 + i}`); // 24 jobs
    await afterOldestJob(0);
    expect(await inbound.take()).toBe('took');
    expect(await entriesLike('wamid.backlog-')).toBe(onSqlite ? 4 : 16);
    await afterOldestJob(1_000);
    expect(await inbound.take()).toBe(onSqlite ? 'took' : 'drained');
    expect(await entriesLike('wamid.backlog-')).toBe(onSqlite ? 20 : 24);
    if (onSqlite) expect(await inbound.take()).toBe('drained');
    expect(await entriesLike('wamid.backlog-')).toBe(24);
    expect(queue.claims).toBe(0);
  });

  it('applies a large job in chunks of 16 once behind, on SQLite of 4 while it keeps up or webhooks pour in', async () => {
    const cases = [
      { behindMs: 1_000, busy: false, chunks: [16, 16, 8] },
      { behindMs: 0, busy: false, chunks: onSqlite ? Array(10).fill(4) : [16, 16, 8] },
      { behindMs: 1_000, busy: true, chunks: onSqlite ? Array(10).fill(4) : [16, 16, 8] },
    ];
    for (const [n, { behindMs, busy, chunks }] of cases.entries()) {
      const prefix = `wamid.large-${n}-`;
      const pacer = new ChunkCountingPacer(busy, () => entriesLike(prefix));
      await receiveTogether(prefix, 40);
      await afterOldestJob(behindMs);
      const jobs = await queue.claim([INBOUND_QUEUE], 10);
      expect(jobs.map((j) => (j.payload as { webhookEventIds: number[] }).webhookEventIds.length)).toEqual([
        40,
      ]);
      await worker(pacer, clock).handler(jobs);
      expect(await entriesLike(prefix)).toBe(40);
      expect(pacer.chunkSizes).toEqual(chunks);
      expect(await inboundJobs()).toEqual([]);
    }
  });
});

/** A pacer that is busy or not as told, lets every chunk run, and records how many deliveries each applied. */
class ChunkCountingPacer extends IngestPacer {
  readonly chunkSizes: number[] = [];
  private appliedBefore = 0;
  constructor(
    busy: boolean,
    private readonly applied: () => Promise<number>,
  ) {
    super(() => (busy ? 10_000 : 0), { maxDeferMs: 0 });
  }
  override inTurn<T>(chunk: () => Promise<T>): Promise<T> {
    return super.inTurn(async () => {
      const result = await chunk();
      const applied = await this.applied();
      this.chunkSizes.push(applied - this.appliedBefore);
      this.appliedBefore = applied;
      return result;
    });
  }
}
