import type { DatabaseHandle, Db } from '../../storage/db.ts';

interface Pending {
  work: (trx: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the sender's per-message writes (the attempt recorded before each Graph call, the
 * acceptance after it), as the webhook inbox does for deliveries: while one transaction is
 * committing, new writes wait in memory and the next transaction takes them all. A caller's promise
 * resolves only once its write has committed, so "record the attempt, then call Meta" still holds.
 *
 * Why: two transactions per message. While every SQLite commit was an fsync on the event loop,
 * grouping them (with the channel read once per batch) took the sender from 0.41 to 0.90 of a
 * 1,000/s limit; with commits made durable off the event loop (WalSync) it still takes
 * bench:outbound from 0.987-0.991 to 0.997-1.000 of it.
 *
 * Work functions must touch only the database (they may run twice): if the shared transaction
 * fails, each write is retried in a transaction of its own, so one bad write fails only its caller.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  /** a flush is scheduled or running */
  private flushing = false;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly maxBatch = 500,
  ) {}

  run<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Once the event loop has run every timer and answer that is due with this one.
        setImmediate(() => void this.flushLoop());
      }
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        let results: unknown[];
        try {
          results = await this.handle.db.transaction().execute(async (trx) => {
            const out: unknown[] = [];
            for (const p of batch) out.push(await p.work(trx));
            return out;
          });
        } catch (error) {
          if (batch.length === 1) batch[0]!.reject(error);
          else await this.oneByOne(batch);
          continue;
        }
        // "Recorded before the call" means on disk before the call: wait for the durability barrier
        // (one WAL sync for the batch on SQLite; PostgreSQL commits are durable already).
        const committed = results;
        this.handle.durable().then(
          () => batch.forEach((p, i) => p.resolve(committed[i])),
          (error: unknown) => batch.forEach((p) => p.reject(error)),
        );
      }
    } finally {
      this.flushing = false;
    }
  }

  private async oneByOne(batch: Pending[]): Promise<void> {
    for (const p of batch) {
      try {
        const result = await this.handle.db.transaction().execute((trx) => p.work(trx));
        await this.handle.durable();
        p.resolve(result);
      } catch (error) {
        p.reject(error);
      }
    }
  }
}
