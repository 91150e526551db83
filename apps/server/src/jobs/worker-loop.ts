import type { ClaimedJob, JobQueue } from '../storage/queue.ts';
import { errorMessage } from './error-message.ts';

/** The part of a pino logger the loop uses. */
export interface WorkerLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WorkerLoopOptions {
  queue: JobQueue;
  queues: string[];
  batchSize: number;
  /** loops claiming and handling batches side by side */
  concurrency: number;
  /** poll interval when there is no work, and the pause after a claim error (default 200) */
  idleMs?: number;
  /**
   * Handles one batch. It completes jobs itself (`queue.complete` inside its transaction) or calls
   * `queue.fail`. If it throws, every job of the batch still running under this claim is failed
   * (retryable). Jobs it neither completes nor fails run again when their lease expires.
   */
  handler: (jobs: ClaimedJob[]) => Promise<void>;
  /**
   * Work the loop takes by itself, inside its own transactions, before it claims (JobQueue.takeReady):
   * 'took' — it finished some and more may be ready, go round again; 'drained' — it finished the last
   * ready ones, sleep until notified; 'left' — ready jobs it does not take are waiting, claim them;
   * 'none' — nothing is ready, sleep. After a sleep that ran its full course the loop claims anyway:
   * only a claim finds jobs whose lease expired.
   */
  take?: () => Promise<TakeResult>;
  logger?: WorkerLogger;
}

export type TakeResult = 'took' | 'drained' | 'left' | 'none';

/** Runs `concurrency` claim → handle loops over a set of queues until stopped. */
export class WorkerLoop {
  private readonly idleMs: number;
  private running = false;
  private loops: Promise<void>[] = [];
  /** wake-up functions of loops sleeping because there was no work */
  private readonly sleepers = new Set<() => void>();
  /** a notify() that found no sleeper: the next loop about to sleep claims once more instead */
  private missedNotify = false;

  constructor(private readonly options: WorkerLoopOptions) {
    if (options.concurrency < 1 || options.batchSize < 1) {
      throw new RangeError('concurrency and batchSize must be at least 1');
    }
    this.idleMs = options.idleMs ?? 200;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.options.concurrency }, () => this.loop());
  }

  /** Stops claiming, wakes sleepers, and resolves once every batch in progress has finished. */
  async stop(): Promise<void> {
    this.running = false;
    for (const wake of [...this.sleepers]) wake();
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** New work was committed: wake one idle loop now rather than at its next poll. */
  notify(): void {
    if (!this.wakeOne()) this.missedNotify = true;
  }

  private wakeOne(): boolean {
    const [wake] = this.sleepers;
    if (!wake) return false;
    wake();
    return true;
  }

  private async loop(): Promise<void> {
    let claimNext = true; // at start, and after a full idle poll: leases may have expired meanwhile
    while (this.running) {
      if (this.options.take && !claimNext) {
        const taken = await this.take();
        if (taken === 'took') continue;
        // Every commit of new work notifies: it wakes a sleeping loop, or this one goes round again.
        if (taken === 'none' || taken === 'drained') {
          claimNext = await this.idle();
          continue;
        }
      }
      claimNext = false;
      let jobs: ClaimedJob[];
      try {
        jobs = await this.options.queue.claim(this.options.queues, this.options.batchSize);
      } catch (err) {
        this.options.logger?.warn({ err, queues: this.options.queues }, 'job claim failed; retrying');
        await this.sleep();
        continue;
      }
      if (jobs.length === 0) {
        claimNext = await this.idle();
        continue;
      }
      // A full batch suggests a backlog: let a sleeping sibling help.
      if (jobs.length === this.options.batchSize) this.wakeOne();
      await this.handle(jobs);
    }
  }

  private async take(): Promise<TakeResult> {
    try {
      return await this.options.take!();
    } catch (err) {
      // take records its jobs' failures itself; this is the unexpected: leave the work to claims
      this.options.logger?.warn({ err, queues: this.options.queues }, 'job take failed; claiming instead');
      return 'left';
    }
  }

  /** Sleeps unless a notify came in meanwhile. True when the sleep ran its full course (no notify). */
  private async idle(): Promise<boolean> {
    if (this.missedNotify) {
      this.missedNotify = false;
      return false;
    }
    return this.sleep();
  }

  private async handle(jobs: ClaimedJob[]): Promise<void> {
    try {
      await this.options.handler(jobs);
    } catch (err) {
      const message = errorMessage(err);
      const ids = jobs.map((j) => j.id);
      this.options.logger?.warn({ err, jobIds: ids }, 'job handler failed; scheduling retries');
      for (const job of jobs) {
        try {
          // Guarded by worker, status and attempt: jobs the handler finished or failed are left alone.
          await this.options.queue.fail(job.id, message, { attempt: job.attempts });
        } catch (failErr) {
          this.options.logger?.error(
            { err: failErr, jobId: job.id },
            'could not record job failure; it runs again when its lease expires',
          );
        }
      }
    }
  }

  /** Resolves true when the idle interval ran out, false when woken (notify or stop). */
  private sleep(): Promise<boolean> {
    return new Promise((resolve) => {
      if (!this.running) return resolve(false);
      const wake = (timedOut = false): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve(timedOut);
      };
      const timer = setTimeout(() => wake(true), this.idleMs);
      this.sleepers.add(wake);
    });
  }
}
