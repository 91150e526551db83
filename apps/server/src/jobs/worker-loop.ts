import type { ClaimedJob, JobQueue } from '../storage/queue.ts';

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
  logger?: WorkerLogger;
}

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
    while (this.running) {
      let jobs: ClaimedJob[];
      try {
        jobs = await this.options.queue.claim(this.options.queues, this.options.batchSize);
      } catch (err) {
        this.options.logger?.warn({ err, queues: this.options.queues }, 'job claim failed; retrying');
        await this.sleep();
        continue;
      }
      if (jobs.length === 0) {
        if (this.missedNotify) this.missedNotify = false;
        else await this.sleep();
        continue;
      }
      // A full batch suggests a backlog: let a sleeping sibling help.
      if (jobs.length === this.options.batchSize) this.wakeOne();
      await this.handle(jobs);
    }
  }

  private async handle(jobs: ClaimedJob[]): Promise<void> {
    try {
      await this.options.handler(jobs);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
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

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.running) return resolve();
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.idleMs);
      this.sleepers.add(wake);
    });
  }
}
