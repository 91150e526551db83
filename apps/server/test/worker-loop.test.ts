import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  WorkerLoop,
  type TakeResult,
  type WorkerLogger,
  type WorkerLoopOptions,
} from '../src/jobs/worker-loop.ts';
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

  it('takes work itself first: claims at start, when a take leaves jobs, and after a full idle poll', async () => {
    class CountingQueue extends JobQueue {
      claims = 0;
      override async claim(queues: readonly string[], limit: number): Promise<ClaimedJob[]> {
        this.claims += 1;
        return super.claim(queues, limit);
      }
    }
    const counting = new CountingQueue(t.handle, { workerId: 'test-worker' });
    queue = counting;
    const script: TakeResult[] = ['took', 'took', 'drained'];
    let takes = 0;
    const logger = new RecordingLogger();
    const running = startLoop({
      idleMs: 1500, // long enough that no poll runs out between the steps below
      logger,
      handler: async (jobs) => completeAll(jobs).then(() => undefined),
      take: async () => {
        takes += 1;
        const next = script.shift() ?? 'none';
        return next;
      },
    });
    // at start it claims (jobs from before it started, expired leases), finds none and sleeps
    await vi.waitFor(() => expect(counting.claims).toBe(1), { timeout: 2000, interval: 5 });
    expect(takes).toBe(0);

    running.notify(); // new work: it takes; 'took' goes round, 'drained' sleeps, neither claims
    await vi.waitFor(() => expect(takes).toBe(3), { timeout: 2000, interval: 5 });
    await delay(50);
    expect(counting.claims).toBe(1);

    running.notify(); // woken: it takes again, finds nothing, sleeps without claiming
    await vi.waitFor(() => expect(takes).toBe(4), { timeout: 2000, interval: 5 });
    await delay(50);
    expect(counting.claims).toBe(1);

    script.push('left'); // ready jobs the take does not run: claim them
    await add(2);
    running.notify();
    await vi.waitFor(() => expect(counting.claims).toBe(2), { timeout: 2000, interval: 5 });
    await vi.waitFor(async () => expect(await remainingJobs()).toBe(0), { timeout: 2000, interval: 5 });

    // nothing is notified for a whole idle poll: it claims (only a claim sees expired leases)
    const claimsBefore = counting.claims;
    const takesBefore = takes;
    await vi.waitFor(() => expect(counting.claims).toBeGreaterThan(claimsBefore), {
      timeout: 5000,
      interval: 10,
    });
    expect(takes).toBe(takesBefore);
    expect(logger.warnings).toEqual([]);
  });

  it('claims instead when a take throws, and logs it', async () => {
    await add(2);
    const logger = new RecordingLogger();
    let handled = 0;
    const running = startLoop({
      idleMs: 60_000,
      logger,
      handler: async (jobs) => {
        handled += jobs.length;
        await completeAll(jobs);
      },
      take: async () => {
        throw new Error('disk I/O error');
      },
    });
    await vi.waitFor(() => expect(handled).toBe(2), { timeout: 2000, interval: 5 }); // the claim at start
    await add(1);
    running.notify();
    await vi.waitFor(() => expect(handled).toBe(3), { timeout: 2000, interval: 5 });
    expect(logger.warnings).toContain('job take failed; claiming instead');
  });
});
