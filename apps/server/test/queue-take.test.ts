import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/domain/clock.ts';
import { openDatabase, type DatabaseHandle } from '../src/storage/db.ts';
import { enqueue, JobQueue } from '../src/storage/queue.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';

class TestClock implements Clock {
  constructor(public ms = Date.parse('2025-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
}

/** Jobs taken inside the caller's transaction (JobQueue.takeReady and friends), on every database. */
describe.each(testDialects())('job queue: taking jobs in a transaction on %s', (dialect) => {
  let t: TestDatabase;
  let clock: TestClock;
  let queue: JobQueue;
  const extraHandles: DatabaseHandle[] = [];

  beforeEach(async () => {
    t = await createTestDatabase(dialect);
    clock = new TestClock();
    queue = new JobQueue(t.handle, {
      workerId: 'taker',
      clock,
      backoff: { baseMs: 1000, maxMs: 1000 },
      random: () => 0.5,
    });
  });
  afterEach(async () => {
    await Promise.all(extraHandles.splice(0).map((h) => h.close()));
    await t.destroy();
  });

  const add = (queueName: string, count: number, extra: { runAt?: Date; maxAttempts?: number } = {}) =>
    enqueue(
      t.handle.db,
      Array.from({ length: count }, (_, i) => ({ queue: queueName, payload: { n: i }, ...extra })),
      clock.now(),
    );
  const row = (id: number) =>
    t.handle.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();

  it('reads the ready jobs of one queue, oldest first, and writes nothing', async () => {
    const later = new Date(clock.ms + 60_000);
    const [first, second] = await add('a', 2);
    await add('a', 1, { runAt: later }); // not due
    await add('b', 1); // another queue
    const [running] = await add('a', 1);
    await t.handle.db.updateTable('jobs').set({ status: 'running' }).where('id', '=', running!).execute();

    const trx = await t.handle.db.startTransaction().execute();
    const taken = await queue.takeReady(trx, 'a', 10);
    await trx.rollback().execute();

    expect(taken.map((j) => j.id)).toEqual([first, second]);
    expect(taken[0]).toMatchObject({ queue: 'a', payload: { n: 0 }, attempts: 1, maxAttempts: 10 });
    expect(await row(first!)).toMatchObject({ status: 'queued', attempts: 0, locked_by: null });
    // still there for a claim: taking reserved nothing outside the transaction
    expect((await queue.claim(['a'], 10)).map((j) => j.id)).toEqual([first, second]);
  });

  it('honours the limit', async () => {
    await add('a', 5);
    const taken = await t.handle.db.transaction().execute((trx) => queue.takeReady(trx, 'a', 3));
    expect(taken).toHaveLength(3);
  });

  it('completes taken jobs with the transaction, and a rollback leaves them queued', async () => {
    const ids = await add('a', 2);
    await expect(
      t.handle.db.transaction().execute(async (trx) => {
        const taken = await queue.takeReady(trx, 'a', 10);
        expect(
          await queue.completeTaken(
            trx,
            taken.map((j) => j.id),
          ),
        ).toBe(2);
        throw new Error('effects failed');
      }),
    ).rejects.toThrow('effects failed');
    expect(await row(ids[0]!)).toMatchObject({ status: 'queued' });

    const done = await t.handle.db.transaction().execute(async (trx) => {
      const taken = await queue.takeReady(trx, 'a', 10);
      return queue.completeTaken(
        trx,
        taken.map((j) => j.id),
      );
    });
    expect(done).toBe(2);
    expect(await row(ids[0]!)).toBeUndefined();
    expect(await queue.completeTaken(t.handle.db, [])).toBe(0);
  });

  it('does not complete a job someone claimed meanwhile', async () => {
    const [id] = await add('a', 1);
    await queue.claim(['a'], 1);
    expect(await queue.completeTaken(t.handle.db, [id!])).toBe(0);
    expect(await row(id!)).toMatchObject({ status: 'running' });
  });

  it('counts a failed attempt with backoff, and dead-letters the last one', async () => {
    const [id] = await add('a', 1, { maxAttempts: 2 });
    expect(await queue.failTaken(id!, 'database is locked')).toBe('retry');
    expect(await row(id!)).toMatchObject({
      status: 'queued',
      attempts: 1,
      last_error: 'database is locked',
      run_at: new Date(clock.ms + 750).toISOString(), // equal jitter: half fixed, half of it at random 0.5
    });
    // not ready during the backoff
    const during = await t.handle.db.transaction().execute((trx) => queue.takeReady(trx, 'a', 10));
    expect(during).toEqual([]);

    expect(await queue.failTaken(id!, 'still locked')).toBe('dead');
    expect(await row(id!)).toMatchObject({ status: 'dead', attempts: 2, last_error: 'still locked' });
    expect(await queue.failTaken(id!, 'again')).toBe('lost');
  });

  it('tells the newest job id, so a taker can leave older jobs to claims', async () => {
    expect(await queue.newestJobId()).toBe(0);
    const ids = await add('a', 3);
    expect(await queue.newestJobId()).toBe(ids[2]);
  });

  it.runIf(dialect === 'postgres')('concurrent takers skip each other’s rows until commit', async () => {
    const ids = await add('a', 4);
    const other = await openDatabase(t.options);
    extraHandles.push(other);
    const otherQueue = new JobQueue(other, { workerId: 'other', clock });
    const first = await t.handle.db.startTransaction().execute();
    try {
      const a = await queue.takeReady(first, 'a', 2);
      const b = await other.db.transaction().execute((trx) => otherQueue.takeReady(trx, 'a', 4));
      expect(a.map((j) => j.id)).toEqual(ids.slice(0, 2));
      expect(b.map((j) => j.id)).toEqual(ids.slice(2));
    } finally {
      await first.rollback().execute();
    }
  });
});
