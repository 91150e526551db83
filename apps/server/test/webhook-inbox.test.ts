import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/domain/clock.ts';
import type { DatabaseHandle } from '../src/storage/db.ts';
import { inboundJob, WebhookInbox } from '../src/storage/webhook-inbox.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';

/** The database's own handle, with WAL syncs that finish only when the test says so. */
function withHeldSyncs(handle: DatabaseHandle) {
  const held: { release: () => void; fail: (error: Error) => void }[] = [];
  const controlled: DatabaseHandle = {
    ...handle,
    durable: () =>
      new Promise<void>((resolve, reject) => {
        held.push({ release: resolve, fail: reject });
      }),
  };
  return { handle: controlled, held };
}

const delivery = (n: number) => ({ body: Buffer.from(`{"n":${n}}`), signature: `sha256=${n}` });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** PostgreSQL commits take real I/O time: wait for a condition rather than for a number of turns. */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}

describe.each(testDialects())('webhook inbox group commit (%s)', (dialect) => {
  let db: TestDatabase;
  afterEach(async () => db?.destroy());

  async function counts() {
    const events = await db.handle.db.selectFrom('webhook_events').select('id').execute();
    const jobs = await db.handle.db.selectFrom('jobs').select('payload').execute();
    return { events: events.length, jobs: jobs.map((j) => JSON.parse(j.payload).webhookEventIds.length) };
  }

  it('gathers the deliveries that arrive during a WAL sync into one commit after it', async () => {
    db = await createTestDatabase(dialect);
    const { handle, held } = withHeldSyncs(db.handle);
    const committed: number[] = [];
    const inbox = new WebhookInbox(handle, systemClock, { onCommitted: (n) => committed.push(n) });

    const first = inbox.append(delivery(1));
    await until(() => held.length === 1); // committed, its sync running
    const later = [2, 3, 4].map((n) => inbox.append(delivery(n)));
    await sleep(50);
    // Nothing of the later three is committed while the first one's sync runs.
    expect(await counts()).toEqual({ events: 1, jobs: [1] });
    expect(held).toHaveLength(1);

    held[0]!.release();
    const firstId = await first;
    await until(() => held.length === 2);
    expect(await counts()).toEqual({ events: 4, jobs: [1, 3] });
    held[1]!.release();
    const laterIds = await Promise.all(later);
    expect(laterIds).toEqual([firstId + 1, firstId + 2, firstId + 3]);
    expect(committed).toEqual([1, 3]);
  });

  it('acknowledges a synced batch, then commits the deliveries that waited for it in one batch', async () => {
    db = await createTestDatabase(dialect);
    const { handle, held } = withHeldSyncs(db.handle);
    const inbox = new WebhookInbox(handle, systemClock);
    // how many syncs had been asked for when each delivery was acknowledged
    const syncsAtAck: number[] = [];
    const submit = (n: number) =>
      inbox.submit(delivery(n), (error) => syncsAtAck.push(error === null ? held.length : -1));
    submit(1);
    await until(() => held.length === 1);
    submit(2);
    submit(3);
    held[0]!.release();
    await until(() => held.length === 2);
    // the first answer went out before the second batch's sync was asked for
    expect(syncsAtAck).toEqual([1]);
    expect(await counts()).toEqual({ events: 3, jobs: [1, 2] });
    held[1]!.release();
    await until(() => syncsAtAck.length === 3);
    expect(syncsAtAck).toEqual([1, 2, 2]);
  });

  it('gives each delivery of a large batch the id of its own row', async () => {
    db = await createTestDatabase(dialect);
    const committed: number[] = [];
    const inbox = new WebhookInbox(db.handle, systemClock, { onCommitted: (n) => committed.push(n) });
    // One tick: one batch, more rows than one insert statement takes on SQLite.
    const ids = await Promise.all(Array.from({ length: 150 }, (_, n) => inbox.append(delivery(n))));
    expect(committed).toEqual([150]);
    expect(new Set(ids).size).toBe(150);
    const rows = await db.handle.db
      .selectFrom('webhook_events')
      .select(['id', 'body', 'signature'])
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    ids.forEach((id, n) => {
      expect(Buffer.from(byId.get(id)!.body).toString()).toBe(`{"n":${n}}`);
      expect(byId.get(id)!.signature).toBe(`sha256=${n}`);
    });
    // One job names them all, written the same way on both databases (PostgreSQL builds it in SQL).
    const jobs = await db.handle.db
      .selectFrom('jobs')
      .select(['queue', 'payload', 'status', 'attempts', 'max_attempts', 'run_at', 'created_at'])
      .execute();
    const job = inboundJob(ids);
    expect(jobs).toEqual([
      {
        queue: job.queue,
        payload: JSON.stringify(job.payload),
        status: 'queued',
        attempts: 0,
        max_attempts: job.maxAttempts,
        run_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    ]);
    expect(jobs[0]!.run_at).toBe(jobs[0]!.created_at);
  });

  it('refuses only the batch whose sync failed; the next batch commits and is acknowledged', async () => {
    db = await createTestDatabase(dialect);
    const { handle, held } = withHeldSyncs(db.handle);
    const inbox = new WebhookInbox(handle, systemClock);

    const first = inbox.append(delivery(1));
    await until(() => held.length === 1);
    const second = inbox.append(delivery(2));
    held[0]!.fail(new Error('EIO: fdatasync failed'));
    await expect(first).rejects.toThrow(/EIO/);
    await until(() => held.length === 2);
    held[1]!.release();
    await expect(second).resolves.toBeTypeOf('number');
  });
});
