import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/domain/clock.ts';
import { openDatabase, type DatabaseHandle } from '../src/storage/db.ts';
import { backoffDelayMs, enqueue, JobQueue, type JobQueueOptions } from '../src/storage/queue.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';

const run = promisify(execFile);
const modulePath = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

class TestClock implements Clock {
  constructor(public ms = Date.parse('2025-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

describe('backoffDelayMs', () => {
  it('doubles per attempt, caps, and keeps half of the delay fixed (equal jitter)', () => {
    const backoff = { baseMs: 1000, maxMs: 8000 };
    expect([1, 2, 3, 4, 5, 20].map((a) => backoffDelayMs(a, backoff, () => 0))).toEqual([
      500, 1000, 2000, 4000, 4000, 4000,
    ]);
    expect(backoffDelayMs(3, backoff, () => 0.999999)).toBe(4000);
  });
});

describe.each(testDialects())('job queue on %s', (dialect) => {
  let t: TestDatabase;
  let clock: TestClock;
  const extraHandles: DatabaseHandle[] = [];

  beforeEach(async () => {
    t = await createTestDatabase(dialect);
    clock = new TestClock();
  });
  afterEach(async () => {
    await Promise.all(extraHandles.splice(0).map((h) => h.close()));
    await t.destroy();
  });

  const queueFor = (workerId: string, options: Partial<JobQueueOptions> = {}, handle = t.handle): JobQueue =>
    new JobQueue(handle, { workerId, clock, leaseMs: 30_000, ...options });
  const add = (queue: string, count: number, extra: { runAt?: Date; maxAttempts?: number } = {}) =>
    enqueue(
      t.handle.db,
      Array.from({ length: count }, (_, i) => ({ queue, payload: { n: i }, ...extra })),
      clock.now(),
    );
  const row = (id: number) =>
    t.handle.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  const countJobs = async () =>
    Number(
      (
        await t.handle.db
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  describe('enqueue', () => {
    it('returns ids in input order and stores payload, run_at and max_attempts', async () => {
      const later = new Date(clock.ms + 60_000);
      const ids = await enqueue(
        t.handle.db,
        [
          { queue: 'a', payload: { text: 'héllo', list: [1, 2] } },
          { queue: 'b', payload: 'plain', runAt: later, maxAttempts: 3 },
          { queue: 'a', payload: undefined },
        ],
        clock.now(),
      );
      expect(ids).toHaveLength(3);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
      const second = await row(ids[1]!);
      expect(second).toMatchObject({
        queue: 'b',
        payload: '"plain"',
        status: 'queued',
        attempts: 0,
        max_attempts: 3,
        run_at: later.toISOString(),
      });
      expect((await row(ids[0]!))?.max_attempts).toBe(10);
      expect((await row(ids[2]!))?.payload).toBe('null');
    });

    it('accepts an empty list', async () => {
      expect(await enqueue(t.handle.db, [], clock.now())).toEqual([]);
    });

    it('inserts large batches in chunks', async () => {
      const ids = await add('bulk', 1234);
      expect(new Set(ids).size).toBe(1234);
      expect(await countJobs()).toBe(1234);
    });

    it('commits with the caller transaction and vanishes when it rolls back', async () => {
      await expect(
        t.handle.db.transaction().execute(async (trx) => {
          await enqueue(trx, [{ queue: 'a', payload: 1 }], clock.now());
          throw new Error('change failed');
        }),
      ).rejects.toThrow('change failed');
      expect(await countJobs()).toBe(0);

      await t.handle.db
        .transaction()
        .execute((trx) => enqueue(trx, [{ queue: 'a', payload: 2 }], clock.now()));
      expect(await countJobs()).toBe(1);
    });

    it('rejects a max_attempts below 1', async () => {
      await expect(
        enqueue(t.handle.db, [{ queue: 'a', payload: 1, maxAttempts: 0 }], clock.now()),
      ).rejects.toThrow(RangeError);
    });
  });

  describe('claim', () => {
    it('takes ready jobs of the given queues, oldest run_at first, up to the limit', async () => {
      const [late] = await enqueue(
        t.handle.db,
        [{ queue: 'a', payload: 'late', runAt: new Date(clock.ms - 1000) }],
        clock.now(),
      );
      const [early] = await enqueue(
        t.handle.db,
        [{ queue: 'a', payload: 'early', runAt: new Date(clock.ms - 5000) }],
        clock.now(),
      );
      const sameTime = await add('a', 2);
      await add('other', 2);
      await add('a', 1, { runAt: new Date(clock.ms + 1000) }); // not yet

      const q = queueFor('w1');
      const first = await q.claim(['a'], 3);
      expect(first.map((j) => j.id)).toEqual([early, late, sameTime[0]]);
      expect(first.map((j) => j.payload)).toEqual(['early', 'late', { n: 0 }]);
      expect(first[0]).toMatchObject({ queue: 'a', attempts: 1, maxAttempts: 10 });
      expect(first[0]?.createdAt).toEqual(clock.now());

      const second = await q.claim(['a'], 10);
      expect(second.map((j) => j.id)).toEqual([sameTime[1]]);
      expect(await q.claim(['a'], 10)).toEqual([]);

      const stored = await row(sameTime[1]!);
      expect(stored).toMatchObject({
        status: 'running',
        attempts: 1,
        locked_by: 'w1',
        locked_until: new Date(clock.ms + 30_000).toISOString(),
      });

      expect(await q.claim(['other', 'missing'], 10)).toHaveLength(2);
      expect(await q.claim([], 10)).toEqual([]);
      expect(await q.claim(['a'], 0)).toEqual([]);

      clock.advance(1000);
      expect((await q.claim(['a'], 10)).map((j) => j.payload)).toEqual([{ n: 0 }]);
    });

    it('orders across several queues by run_at and respects the limit overall', async () => {
      const at = (offsetMs: number) => new Date(clock.ms + offsetMs);
      const ids = await enqueue(
        t.handle.db,
        [
          { queue: 'b', payload: 3, runAt: at(-1000) },
          { queue: 'a', payload: 2, runAt: at(-2000) },
          { queue: 'b', payload: 1, runAt: at(-3000) },
          { queue: 'a', payload: 4, runAt: at(0) },
        ],
        clock.now(),
      );
      const q = queueFor('w1');
      expect((await q.claim(['a', 'b', 'a'], 3)).map((j) => j.payload)).toEqual([1, 2, 3]);
      expect((await q.claim(['b', 'a'], 3)).map((j) => j.id)).toEqual([ids[3]]);
    });

    it('does not hand a leased job to anyone while the lease holds', async () => {
      await add('a', 1);
      expect(await queueFor('w1').claim(['a'], 1)).toHaveLength(1);
      clock.advance(29_999);
      expect(await queueFor('w2').claim(['a'], 1)).toEqual([]);
      expect(await queueFor('w1').claim(['a'], 1)).toEqual([]);
    });

    it('takes a job again once its lease expired, and the old worker can no longer finish it', async () => {
      const [id] = await add('a', 1);
      const crashed = queueFor('crashed');
      await crashed.claim(['a'], 1);
      clock.advance(30_001);

      const rescuer = queueFor('rescuer');
      const again = await rescuer.claim(['a'], 5);
      expect(again).toEqual([expect.objectContaining({ id, attempts: 2 })]);
      expect((await row(id!))?.locked_by).toBe('rescuer');

      expect(await crashed.complete(t.handle.db, [id!])).toBe(0);
      expect(await crashed.fail(id!, 'late failure')).toBe('lost');
      expect(await crashed.extendLease([id!])).toBe(0);
      expect(await rescuer.complete(t.handle.db, [id!])).toBe(1);
      expect(await countJobs()).toBe(0);
    });

    it('dead-letters an expired job that already used its last attempt instead of running it again', async () => {
      const [id] = await add('a', 1, { maxAttempts: 2 });
      const q = queueFor('w1');
      await q.claim(['a'], 1);
      clock.advance(30_001);
      expect(await q.claim(['a'], 1)).toHaveLength(1); // attempt 2 of 2
      clock.advance(30_001);
      expect(await q.claim(['a'], 1)).toEqual([]);
      expect(await row(id!)).toMatchObject({ status: 'dead', attempts: 2, locked_by: null });
      expect((await row(id!))?.last_error).toMatch(/lease expired/);
    });

    it('extendLease keeps a long job from being taken over', async () => {
      const [id] = await add('a', 1);
      const q = queueFor('w1');
      await q.claim(['a'], 1);
      clock.advance(20_000);
      expect(await q.extendLease([id!])).toBe(1);
      clock.advance(20_000);
      expect(await queueFor('w2').claim(['a'], 1)).toEqual([]);
      expect(await q.extendLease([])).toBe(0);
    });
  });

  describe('fail', () => {
    it('retries with exponential backoff that grows and is capped', async () => {
      const [id] = await add('a', 1, { maxAttempts: 10 });
      const q = queueFor('w1', { backoff: { baseMs: 1000, maxMs: 8000 }, random: () => 0.5 });
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 5; attempt++) {
        const [job] = await q.claim(['a'], 1);
        expect(job?.attempts).toBe(attempt);
        expect(await q.fail(id!, `boom ${attempt}`)).toBe('retry');
        const stored = await row(id!);
        expect(stored).toMatchObject({ status: 'queued', locked_by: null, last_error: `boom ${attempt}` });
        const runAt = Date.parse(stored!.run_at);
        delays.push(runAt - clock.ms);
        clock.advance(runAt - clock.ms - 1);
        expect(await q.claim(['a'], 1)).toEqual([]); // not before run_at
        clock.advance(1);
      }
      // capped delay 1000, 2000, 4000, 8000, 8000; equal jitter with random 0.5 → 75 % of it
      expect(delays).toEqual([750, 1500, 3000, 6000, 6000]);
    });

    it('honours retryAfterMs exactly', async () => {
      const [id] = await add('a', 1);
      const q = queueFor('w1');
      await q.claim(['a'], 1);
      expect(await q.fail(id!, 'rate limited', { retryAfterMs: 42_000 })).toBe('retry');
      expect((await row(id!))?.run_at).toBe(new Date(clock.ms + 42_000).toISOString());
    });

    it('dead-letters after max attempts, keeping the last error', async () => {
      const [id] = await add('a', 1, { maxAttempts: 3 });
      const q = queueFor('w1', { backoff: { baseMs: 10, maxMs: 10 } });
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i++) {
        await q.claim(['a'], 1);
        outcomes.push(await q.fail(id!, `error ${i + 1}`));
        clock.advance(10);
      }
      expect(outcomes).toEqual(['retry', 'retry', 'dead']);
      expect(await row(id!)).toMatchObject({
        status: 'dead',
        attempts: 3,
        last_error: 'error 3',
        locked_by: null,
      });
      clock.advance(60_000);
      expect(await q.claim(['a'], 1)).toEqual([]);
    });

    it('dead-letters a non-retryable failure at once', async () => {
      const [id] = await add('a', 1);
      const q = queueFor('w1');
      await q.claim(['a'], 1);
      expect(await q.fail(id!, 'template rejected', { retryable: false })).toBe('dead');
      expect(await row(id!)).toMatchObject({ status: 'dead', attempts: 1, last_error: 'template rejected' });
    });

    it('leaves jobs it does not hold alone', async () => {
      const [id] = await add('a', 1);
      const q = queueFor('w1');
      expect(await q.fail(id!, 'not claimed')).toBe('lost');
      const [job] = await q.claim(['a'], 1);
      expect(await queueFor('w2').fail(id!, 'not mine')).toBe('lost');
      expect(await q.fail(id!, 'older claim', { attempt: job!.attempts + 1 })).toBe('lost');
      expect(await row(id!)).toMatchObject({ status: 'running', last_error: null });
      expect(await q.fail(id!, 'this claim', { attempt: job!.attempts })).toBe('retry');
      expect(await q.fail(id!, 'twice')).toBe('lost');
      expect((await row(id!))?.last_error).toBe('this claim');
    });
  });

  describe('complete', () => {
    it('commits with the handler transaction, and a rollback leaves the job', async () => {
      const ids = await add('a', 2);
      const q = queueFor('w1');
      await q.claim(['a'], 2);
      await expect(
        t.handle.db.transaction().execute(async (trx) => {
          expect(await q.complete(trx, ids)).toBe(2);
          throw new Error('effects failed');
        }),
      ).rejects.toThrow('effects failed');
      expect(await countJobs()).toBe(2);

      const done = await t.handle.db.transaction().execute((trx) => q.complete(trx, ids));
      expect(done).toBe(2);
      expect(await countJobs()).toBe(0);
      expect(await q.complete(t.handle.db, [])).toBe(0);
    });

    it('completes nothing for a worker whose lease was taken over', async () => {
      const [id] = await add('a', 1);
      const slow = queueFor('slow');
      await slow.claim(['a'], 1);
      clock.advance(31_000);
      await queueFor('fast').claim(['a'], 1);
      const done = await t.handle.db.transaction().execute((trx) => slow.complete(trx, [id!]));
      expect(done).toBe(0);
      expect(await row(id!)).toMatchObject({ status: 'running', locked_by: 'fast' });
    });

    it('does not delete queued or dead jobs', async () => {
      const [queued, dead] = await add('a', 2);
      const q = queueFor('w1');
      await q.claim(['a'], 2);
      await q.fail(queued!, 'again');
      await q.fail(dead!, 'bad', { retryable: false });
      expect(await q.complete(t.handle.db, [queued!, dead!])).toBe(0);
      expect(await countJobs()).toBe(2);
    });
  });

  it('reports depth and lag per queue', async () => {
    await add('inbound', 3, { runAt: new Date(clock.ms - 5000) });
    await add('inbound', 1);
    await add('inbound', 2, { runAt: new Date(clock.ms + 60_000) });
    await add('sync', 2);
    const q = queueFor('w1');
    const [running] = await q.claim(['inbound'], 1);
    const [dead] = await q.claim(['sync'], 1);
    await q.fail(dead!.id, 'nope', { retryable: false });
    clock.advance(1000);

    expect(running?.payload).toEqual({ n: 0 });
    expect(await q.stats()).toEqual([
      { queue: 'inbound', queued: 3, scheduled: 2, running: 1, dead: 0, oldestReadyAgeMs: 6000 },
      { queue: 'sync', queued: 1, scheduled: 0, running: 0, dead: 1, oldestReadyAgeMs: 1000 },
    ]);
    await q.claim(['sync'], 1);
    expect((await q.stats()).find((s) => s.queue === 'sync')).toMatchObject({
      queued: 0,
      oldestReadyAgeMs: 0,
    });
  });

  it('lists, retries and discards dead letters', async () => {
    const ids = await add('a', 3, { maxAttempts: 1 });
    await add('b', 1, { maxAttempts: 1 });
    const q = queueFor('w1');
    for (const job of await q.claim(['a', 'b'], 10)) {
      clock.advance(1);
      expect(await q.fail(job.id, `failed ${job.id}`)).toBe('dead');
    }

    const deadA = await q.listDead('a');
    expect(deadA.map((d) => d.id)).toEqual([...ids].reverse()); // most recent first
    expect(deadA[0]).toMatchObject({
      queue: 'a',
      payload: { n: 2 },
      attempts: 1,
      maxAttempts: 1,
      lastError: `failed ${ids[2]}`,
    });
    expect(await q.listDead()).toHaveLength(4);
    expect(await q.listDead(undefined, 2)).toHaveLength(2);

    expect(await q.retryDead(ids[0]!)).toBe(true);
    expect(await row(ids[0]!)).toMatchObject({
      status: 'queued',
      attempts: 0,
      last_error: `failed ${ids[0]}`,
    });
    expect(await q.retryDead(ids[0]!)).toBe(false); // no longer dead
    expect(await q.claim(['a'], 10)).toEqual([expect.objectContaining({ id: ids[0], attempts: 1 })]);

    expect(await q.discardDead(ids[1]!)).toBe(true);
    expect(await q.discardDead(ids[1]!)).toBe(false);
    expect(await q.discardDead(ids[0]!)).toBe(false); // running, not dead
    expect((await q.listDead('a')).map((d) => d.id)).toEqual([ids[2]]);
  });

  it('never hands one job to two claimers working in parallel on separate connections', async () => {
    const total = 500;
    await add('a', total);
    const handles = [t.handle];
    for (let i = 0; i < 3; i++) {
      const h = await openDatabase(t.options);
      extraHandles.push(h);
      handles.push(h);
    }
    // Real time here: leases must not expire under the claimers.
    const claimers = handles.flatMap((h, i) => {
      const q = new JobQueue(h, { workerId: `node-${i}` });
      return [0, 1, 2].map(() => ({ q, h }));
    });
    const takenBy = await Promise.all(
      claimers.map(async ({ q, h }) => {
        const taken: number[] = [];
        for (;;) {
          const jobs = await q.claim(['a'], 7);
          if (jobs.length === 0) return taken;
          taken.push(...jobs.map((j) => j.id));
          expect(
            await q.complete(
              h.db,
              jobs.map((j) => j.id),
            ),
          ).toBe(jobs.length);
        }
      }),
    );
    const all = takenBy.flat();
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect(takenBy.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
    expect(await countJobs()).toBe(0);
  });

  it.runIf(dialect === 'postgres')(
    'skips rows another transaction holds instead of waiting for them',
    async () => {
      const ids = await add('a', 4);
      const other = await openDatabase(t.options);
      extraHandles.push(other);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const holder = other.db.transaction().execute(async (trx) => {
        await trx.selectFrom('jobs').select('id').where('id', 'in', ids.slice(0, 2)).forUpdate().execute();
        locked();
        await released;
      });
      await lockTaken;
      try {
        const claimed = await Promise.race([
          queueFor('w1').claim(['a'], 4),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('claim waited for locks')), 3000),
          ),
        ]);
        expect(claimed.map((j) => j.id)).toEqual(ids.slice(2));
      } finally {
        release();
        await holder;
      }
    },
  );

  it('several processes claim in parallel without sharing a job', async () => {
    const total = 300;
    await add('a', total);
    const script = `
      import { openDatabase } from ${JSON.stringify(modulePath('../src/storage/db.ts'))};
      import { JobQueue } from ${JSON.stringify(modulePath('../src/storage/queue.ts'))};
      const handle = await openDatabase(JSON.parse(process.env.DB_OPTIONS));
      const queue = new JobQueue(handle, { workerId: 'proc-' + process.pid });
      const taken = [];
      for (;;) {
        const jobs = await queue.claim(['a'], 5);
        if (jobs.length === 0) break;
        const ids = jobs.map((j) => j.id);
        const done = await handle.db.transaction().execute((trx) => queue.complete(trx, ids));
        if (done !== ids.length) throw new Error('lost a lease');
        taken.push(...ids);
      }
      await handle.close();
      process.stdout.write(JSON.stringify(taken));
    `;
    const outputs = await Promise.all(
      [1, 2, 3].map(() =>
        run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          env: { ...process.env, DB_OPTIONS: JSON.stringify(t.options) },
        }),
      ),
    );
    const all = outputs.flatMap((o) => JSON.parse(o.stdout) as number[]);
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect(await countJobs()).toBe(0);
  });
});

describe.each(testDialects())('JobQueue.release on %s', (dialect) => {
  it('puts a job back for later without spending an attempt, only for its owner', async () => {
    const t = await createTestDatabase(dialect);
    try {
      const now = new Date('2026-01-01T00:00:00Z');
      const clock = { now: () => now };
      const queue = new JobQueue(t.handle, { workerId: 'w1', clock });
      const other = new JobQueue(t.handle, { workerId: 'w2', clock });
      const [id] = await enqueue(t.handle.db, [{ queue: 'q', payload: {} }], now);
      const [job] = await queue.claim(['q'], 1);
      expect(job!.attempts).toBe(1);
      expect(await other.release(id!, now)).toBe(false);
      expect(await queue.release(id!, new Date(now.getTime() + 5000), 'rate limited')).toBe(true);
      expect(await queue.claim(['q'], 1)).toHaveLength(0); // not before run_at
      now.setTime(now.getTime() + 5000);
      const [again] = await queue.claim(['q'], 1);
      expect(again!.attempts).toBe(1);
    } finally {
      await t.destroy();
    }
  });
});
