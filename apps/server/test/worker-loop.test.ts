import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkerLoop, type WorkerLogger, type WorkerLoopOptions } from '../src/jobs/worker-loop.ts';
import { enqueue, JobQueue, type ClaimedJob } from '../src/storage/queue.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';

class RecordingLogger implements WorkerLogger {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  warn(_obj: object, msg?: string): void {
    this.warnings.push(msg ?? '');
  }
  error(_obj: object, msg?: string): void {
    this.errors.push(msg ?? '');
  }
}

describe.each(testDialects())('worker loop on %s', (dialect) => {
  let t: TestDatabase;
  let queue: JobQueue;
  let loop: WorkerLoop | undefined;

  beforeEach(async () => {
    t = await createTestDatabase(dialect);
    queue = new JobQueue(t.handle, { workerId: 'test-worker', backoff: { baseMs: 20, maxMs: 20 } });
  });
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
    await t.destroy();
  });

  const add = (count: number) =>
    enqueue(
      t.handle.db,
      Array.from({ length: count }, (_, i) => ({ queue: 'work', payload: { n: i } })),
      new Date(),
    );
  const completeAll = (jobs: ClaimedJob[]) =>
    t.handle.db.transaction().execute((trx) =>
      queue.complete(
        trx,
        jobs.map((j) => j.id),
      ),
    );
  const remainingJobs = async () => (await t.handle.db.selectFrom('jobs').selectAll().execute()).length;
  const startLoop = (options: Partial<WorkerLoopOptions> & Pick<WorkerLoopOptions, 'handler'>) => {
    loop = new WorkerLoop({ queue, queues: ['work'], batchSize: 5, concurrency: 1, idleMs: 10, ...options });
    loop.start();
    return loop;
  };

  it('handles every job exactly once with several concurrent loops', async () => {
    const ids = await add(200);
    const handled = new Map<number, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    startLoop({
      batchSize: 7,
      concurrency: 3,
      handler: async (jobs) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await delay(2);
        for (const job of jobs) handled.set(job.id, (handled.get(job.id) ?? 0) + 1);
        expect(await completeAll(jobs)).toBe(jobs.length);
        inFlight--;
      },
    });
    await vi.waitFor(() => expect(handled.size).toBe(200), { timeout: 10_000, interval: 10 });
    await loop?.stop();
    expect([...handled.keys()].sort((a, b) => a - b)).toEqual(ids);
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(await remainingJobs()).toBe(0);
  });

  it('retries the batch when the handler throws, leaving jobs it settled itself alone', async () => {
    const [flaky, doomed] = await add(2);
    const logger = new RecordingLogger();
    const attempts: number[] = [];
    startLoop({
      logger,
      handler: async (jobs) => {
        for (const job of jobs) if (job.id === flaky) attempts.push(job.attempts);
        if (jobs.some((j) => j.attempts === 1)) {
          await queue.fail(doomed!, 'permanent', { retryable: false });
          throw new Error('temporary outage');
        }
        await completeAll(jobs);
      },
    });
    await vi.waitFor(async () => expect(await remainingJobs()).toBe(1), { timeout: 5000, interval: 10 });
    expect(attempts).toEqual([1, 2]);
    const dead = await queue.listDead('work');
    expect(dead).toEqual([expect.objectContaining({ id: doomed, lastError: 'permanent', attempts: 1 })]);
    expect(logger.warnings).toContain('job handler failed; scheduling retries');
  });

  it('wakes an idle loop on notify() instead of waiting for the next poll', async () => {
    const handledAt: number[] = [];
    const running = startLoop({
      idleMs: 60_000,
      concurrency: 2,
      handler: async (jobs) => {
        handledAt.push(Date.now());
        await completeAll(jobs);
      },
    });
    await delay(100); // both loops found nothing and sleep
    await add(1);
    await delay(200);
    expect(handledAt).toEqual([]); // nobody polls for a minute

    const notifiedAt = Date.now();
    running.notify();
    await vi.waitFor(() => expect(handledAt).toHaveLength(1), { timeout: 2000, interval: 5 });
    expect(handledAt[0]! - notifiedAt).toBeLessThan(1000);

    const stopStarted = Date.now();
    await running.stop(); // sleeping loops are woken, not waited out
    expect(Date.now() - stopStarted).toBeLessThan(1000);
  });

  it('stop() waits for the batches in progress and then claims nothing more', async () => {
    await add(1);
    let entered = false;
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const running = startLoop({
      handler: async (jobs) => {
        entered = true;
        await gate;
        await completeAll(jobs);
      },
    });
    await vi.waitFor(() => expect(entered).toBe(true), { timeout: 2000, interval: 5 });

    let stopped = false;
    const stopping = running.stop().then(() => (stopped = true));
    await delay(50);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(await remainingJobs()).toBe(0);

    await add(1);
    await delay(50);
    expect(await remainingJobs()).toBe(1);
  });

  it('logs claim errors and keeps polling', async () => {
    class FlakyQueue extends JobQueue {
      outages = 2;
      override async claim(queues: readonly string[], limit: number): Promise<ClaimedJob[]> {
        if (this.outages-- > 0) throw new Error('connection refused');
        return super.claim(queues, limit);
      }
    }
    queue = new FlakyQueue(t.handle, { workerId: 'test-worker' });
    await add(3);
    const logger = new RecordingLogger();
    let handled = 0;
    startLoop({
      logger,
      handler: async (jobs) => {
        handled += jobs.length;
        await completeAll(jobs);
      },
    });
    await vi.waitFor(() => expect(handled).toBe(3), { timeout: 2000, interval: 5 });
    expect(logger.warnings).toEqual(['job claim failed; retrying', 'job claim failed; retrying']);
  });
});
