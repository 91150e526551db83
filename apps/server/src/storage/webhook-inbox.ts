import type SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import type { Clock } from '../domain/clock.ts';
import type { DatabaseHandle } from './db.ts';
import { RecentCounts } from './recent-counts.ts';
import type { CachedPrepare } from './sqlite-driver.ts';

export const INBOUND_QUEUE = 'inbound';

/** Rows per insert statement on SQLite (the driver's cache keeps one statement per row count). */
const ROWS_PER_INSERT = 64;

export interface RawDelivery {
  body: Buffer;
  signature: string;
}

/** Called once: with the stored row's id after its commit is durable, or with the failure. */
export type StoredCallback = (error: unknown, id?: number) => void;

interface Pending extends RawDelivery {
  done: StoredCallback;
}

/**
 * Appends raw webhook deliveries with group commit: while one transaction is committing, new
 * deliveries wait in memory and the next transaction takes them all. A delivery is answered only
 * after the transaction holding its row (and its inbound job) is durable, so the caller may
 * acknowledge it. No timer: a lone delivery commits in the same turn of the event loop; under
 * load batches form by themselves and one commit (one fsync) serves many requests.
 *
 * The flush starts from setImmediate, once the event loop has read every request that arrived
 * together with this one. better-sqlite3 is synchronous: a flush started inline ran the whole
 * transaction (and its fsync) before the next request was even parsed, so every batch held one
 * delivery (bench:ingest measured group commits of 1.0 and ~300 acks/s before this).
 */
export class WebhookInbox {
  private queue: Pending[] = [];
  /** a batch is scheduled, committing, or waiting for its WAL sync */
  private busy = false;
  private readonly recent = new RecentCounts();

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly clock: Clock,
    private readonly options: {
      maxBatch?: number;
      onCommitted?: (count: number) => void;
    } = {},
  ) {}

  /** Resolves with the stored row's id once its commit is durable. */
  append(delivery: RawDelivery): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.submit(delivery, (error, id) => (error === null ? resolve(id!) : reject(error)));
    });
  }

  /**
   * The callback form of `append`, for the webhook route: at tens of thousands of deliveries a
   * second, a promise per delivery (and the async handler awaiting it) is measurable.
   */
  submit(delivery: RawDelivery, done: StoredCallback): void {
    // Named fields, not a spread: the spread showed up in profiles at about 2 µs a delivery.
    this.queue.push({ body: delivery.body, signature: delivery.signature, done });
    if (!this.busy) {
      this.busy = true;
      setImmediate(() => this.startBatch());
    }
  }

  /**
   * One commit per WAL sync. Deliveries that arrive while a batch commits or syncs cannot be
   * acknowledged before the sync after it anyway, so they wait in memory and commit together when
   * it ends: the same ack times with fewer commits, each ~100 µs of WAL writes (at max in
   * bench:ingest, 28 deliveries a commit instead of 20). With nothing in flight, a delivery commits
   * in the next check phase.
   */
  private startBatch(): void {
    if (this.queue.length === 0) {
      this.busy = false;
      return;
    }
    const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
    let committed: number[] | Promise<number[]>;
    try {
      committed = this.commit(batch);
    } catch (error) {
      this.settle(batch, null, error);
      return;
    }
    if (Array.isArray(committed)) this.awaitSync(batch, committed);
    else
      committed.then(
        (ids) => this.awaitSync(batch, ids),
        (error: unknown) => this.settle(batch, null, error),
      );
  }

  private awaitSync(batch: Pending[], ids: number[]): void {
    this.handle.durable().then(
      () => this.settle(batch, ids),
      (error: unknown) => this.settle(batch, null, error),
    );
  }

  /**
   * Answers the batch (`ids` when stored, else the failure; deliveries queued behind it go on),
   * then starts the next one whatever the callbacks do: a throwing callback is a bug to surface,
   * not a reason to stall every delivery behind it. Answers first: starting the next batch's commit
   * and sync first keeps the disk busier but measured slower (12.5k against 16.0k acks/s in
   * interleaved max-load runs): the sync's thread takes a core while the answers are written, and
   * the load generator waits for them.
   */
  private settle(batch: Pending[], ids: number[] | null, error?: unknown): void {
    try {
      if (ids) {
        batch.forEach((p, i) => p.done(null, ids[i]!));
        this.options.onCommitted?.(batch.length);
      } else {
        const reason = error ?? new Error('the webhook inbox commit failed');
        for (const p of batch) p.done(reason);
      }
    } finally {
      this.startBatch();
    }
  }

  /** One transaction: the raw rows and ONE inbound job naming them all (not a job per delivery). */
  private commit(batch: Pending[]): number[] | Promise<number[]> {
    const now = this.clock.now();
    this.recent.push(performance.now(), batch.length);
    if (this.handle.sqliteExclusive)
      return this.handle.sqliteExclusive((raw, prepare) => this.commitSqlite(raw, prepare, batch, now));
    return this.commitPostgres(batch, now);
  }

  /**
   * PostgreSQL: the rows and the job in ONE statement, a single round trip in autocommit, where
   * begin, two inserts and commit took four. Each round trip waits behind whatever else the event
   * loop is doing (applies, other commits), and at 1,000 deliveries/s every ack waited for four.
   */
  private async commitPostgres(batch: Pending[], now: Date): Promise<number[]> {
    const at = now.toISOString();
    // The job is inboundJob's, its JSON payload with the ids written into the empty list by SQL.
    const job = inboundJob([]);
    const [payloadHead, payloadTail] = JSON.stringify(job.payload).split('[]');
    const rows = sql.join(batch.map((p) => sql`(${at}, ${p.signature}, ${p.body}, 'received')`));
    const result = await sql<{ id: number | string }>`
      with events as (
        insert into webhook_events (received_at, signature, body, status) values ${rows} returning id
      ), job as (
        insert into jobs (queue, payload, status, attempts, max_attempts, run_at, created_at, updated_at)
        select ${job.queue}, ${payloadHead} || '[' || string_agg(id::text, ',' order by id) || ']' || ${payloadTail},
          'queued', 0, ${job.maxAttempts}, ${at}, ${at}, ${at}
        from events
      )
      select id from events order by id`.execute(this.handle.db);
    // Ids of one INSERT come from its sequence in VALUES order; bigserial ids arrive as text.
    const ids = result.rows.map((r) => Number(r.id));
    if (ids.length !== batch.length)
      throw new Error(`stored ${ids.length} of ${batch.length} webhook events`);
    return ids;
  }

  /**
   * SQLite fast path: the same two inserts with prepared statements on the raw connection (under the
   * query mutex). Kysely's per-query overhead was most of the cost of a durable ack here, and one
   * multi-row insert costs half of what a statement per row did (0.85 against 1.7 µs a row).
   */
  private commitSqlite(
    raw: SqliteDatabase.Database,
    prepare: CachedPrepare,
    batch: Pending[],
    now: Date,
  ): number[] {
    const at = now.toISOString();
    prepare('begin immediate').run();
    try {
      const ids = insertEvents(prepare, batch, at);
      const job = inboundJob(ids);
      prepare(
        "insert into jobs (queue, payload, status, attempts, max_attempts, run_at, created_at, updated_at) values (?, ?, 'queued', 0, ?, ?, ?, ?)",
      ).run(job.queue, JSON.stringify(job.payload), job.maxAttempts, at, at, at);
      prepare('commit').run();
      return ids;
    } catch (error) {
      if (raw.inTransaction) prepare('rollback').run();
      throw error;
    }
  }

  /** Deliveries stored per second over about the last `windowMs`: the inbound worker defers to ingest when high. */
  recentRate(nowMs: number, windowMs: number): number {
    return this.recent.perSecond(nowMs, windowMs);
  }
}

/** The insert of `count` rows, by row count: its text is the statement cache's key, so build it once. */
const insertSqlByCount: string[] = [];
function insertSql(count: number): string {
  const values = () => Array.from({ length: count }, () => "(?, ?, ?, 'received')").join(', ');
  return (insertSqlByCount[count] ??=
    `insert into webhook_events (received_at, signature, body, status) values ${values()}`);
}

/** The batch's rows, ROWS_PER_INSERT to a statement; returns their ids in batch order. */
function insertEvents(prepare: CachedPrepare, batch: Pending[], at: string): number[] {
  const ids = new Array<number>(batch.length);
  for (let start = 0; start < batch.length; start += ROWS_PER_INSERT) {
    const count = Math.min(ROWS_PER_INSERT, batch.length - start);
    const params = new Array<unknown>(count * 3);
    for (let i = 0; i < count; i++) {
      const p = batch[start + i]!;
      params[i * 3] = at;
      params[i * 3 + 1] = p.signature;
      params[i * 3 + 2] = p.body;
    }
    const result = prepare(insertSql(count)).run(params);
    if (result.changes !== count) throw new Error(`inserted ${result.changes} of ${count} webhook events`);
    // One statement, under the write lock, into an AUTOINCREMENT table: its rows take consecutive
    // ids in VALUES order, the last one being lastInsertRowid.
    const first = Number(result.lastInsertRowid) - count + 1;
    for (let i = 0; i < count; i++) ids[start + i] = first + i;
  }
  return ids;
}

/** `retry`: a delivery that failed once, retried in a job of its own on the leased path (see inbound-worker.ts). */
export function inboundJob(webhookEventIds: number[], options: { retry?: boolean } = {}) {
  const payload = options.retry ? { webhookEventIds, retry: true } : { webhookEventIds };
  return { queue: INBOUND_QUEUE, payload, maxAttempts: 10 };
}
