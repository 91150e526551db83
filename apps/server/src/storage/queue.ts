import { sql, type RawBuilder } from 'kysely';
import { iso, systemClock, type Clock } from '../domain/clock.ts';
import type { DatabaseHandle, Db } from './db.ts';

/**
 * The durable job queue (transactional outbox) in the application database.
 *
 * Lifecycle: enqueue → 'queued' → claim → 'running' (leased) → complete (row deleted)
 *                                                             → fail → 'queued' again (backoff) | 'dead'
 * A lease that expires (crashed or stalled worker) makes the job claimable again. Handlers must
 * therefore be idempotent: delivery is at least once, effects are exactly once only when the handler
 * commits them together with `complete` in one transaction.
 */

export interface NewJob {
  queue: string;
  /** any JSON value; stored as text */
  payload: unknown;
  /** not before this time (default: now) */
  runAt?: Date;
  /** attempts before the job is dead-lettered (default 10) */
  maxAttempts?: number;
}

export interface ClaimedJob {
  id: number;
  queue: string;
  payload: unknown;
  /** attempts so far, including this one */
  attempts: number;
  maxAttempts: number;
  createdAt: Date;
}

export interface DeadJob {
  id: number;
  queue: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  createdAt: Date;
  /** when it was dead-lettered */
  diedAt: Date;
}

export interface QueueStats {
  queue: string;
  /** ready now */
  queued: number;
  /** waiting for a future run_at (backoff or delayed) */
  scheduled: number;
  running: number;
  dead: number;
  /** how long the oldest ready job has been waiting (0 when none) */
  oldestReadyAgeMs: number;
}

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export interface JobQueueOptions {
  /** unique per process (e.g. host:pid:random): leases and completions are guarded by it */
  workerId: string;
  leaseMs?: number;
  clock?: Clock;
  backoff?: Backoff;
  /** [0, 1) source for the backoff jitter; injectable for deterministic tests */
  random?: () => number;
}

export interface FailOptions {
  /** false: dead-letter now (a permanent error) */
  retryable?: boolean;
  /** retry exactly this much later (e.g. a vendor's Retry-After), instead of the backoff */
  retryAfterMs?: number;
  /** fail only this claim of the job (ClaimedJob.attempts), not a later re-claim of it */
  attempt?: number;
}

/** 'lost': the job is no longer running under this worker (lease taken over, completed, failed). */
export type FailResult = 'retry' | 'dead' | 'lost';

const DEFAULT_MAX_ATTEMPTS = 10;
const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_BACKOFF: Backoff = { baseMs: 1000, maxMs: 15 * 60_000 };
/** rows per INSERT: stays far below both dialects' bound-parameter limits */
const INSERT_CHUNK = 500;
const MAX_ERROR_LENGTH = 4000;
const LEASE_EXPIRED_ON_LAST_ATTEMPT = 'lease expired on the last attempt (worker crashed or stalled)';

/**
 * Enqueues jobs with the caller's db or transaction, so work commits (or rolls back) together with
 * the change that caused it. Returns the ids in input order.
 */
export async function enqueue(db: Db, jobs: readonly NewJob[], now: Date): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < jobs.length; start += INSERT_CHUNK) {
    const rows = jobs.slice(start, start + INSERT_CHUNK).map((job) => {
      const maxAttempts = job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
      if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
        throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
      }
      return {
        queue: job.queue,
        payload: JSON.stringify(job.payload ?? null),
        status: 'queued',
        attempts: 0,
        max_attempts: maxAttempts,
        run_at: iso(job.runAt ?? now),
        created_at: iso(now),
        updated_at: iso(now),
      };
    });
    const inserted = await db.insertInto('jobs').values(rows).returning('id').execute();
    // RETURNING order is unspecified, but ids of one INSERT increase in VALUES order.
    ids.push(...inserted.map((r) => r.id).sort((a, b) => a - b));
  }
  return ids;
}

/** Exponential backoff with "equal jitter": half the capped delay fixed, half random, so it never collapses to 0. */
export function backoffDelayMs(attempts: number, backoff: Backoff, random: () => number): number {
  const exponent = Math.max(0, attempts - 1);
  const capped = Math.min(backoff.maxMs, backoff.baseMs * 2 ** exponent);
  return Math.round(capped / 2 + random() * (capped / 2));
}

interface ClaimRow {
  id: number;
  queue: string;
  payload: string;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: string;
  created_at: string;
}

export class JobQueue {
  readonly workerId: string;
  private readonly leaseMs: number;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly random: () => number;

  constructor(
    private readonly handle: DatabaseHandle,
    options: JobQueueOptions,
  ) {
    this.workerId = options.workerId;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.random = options.random ?? Math.random;
  }

  /**
   * Atomically leases up to `limit` jobs: ready ones (oldest run_at first) and ones whose lease
   * expired. An expired job that already used its last attempt is dead-lettered instead of run
   * again, so a job that crashes its worker cannot loop forever.
   */
  async claim(queues: readonly string[], limit: number): Promise<ClaimedJob[]> {
    if (queues.length === 0 || limit < 1) return [];
    const now = this.clock.now();
    const nowText = iso(now);
    const until = iso(new Date(now.getTime() + this.leaseMs));
    const n = Math.floor(limit);
    // PostgreSQL: concurrent claimers skip each other's rows instead of waiting or double-taking.
    // SQLite: one writer at a time, so the single statement is atomic as is.
    const lock = this.handle.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const exhausted = sql`attempts >= max_attempts`;
    const result = await sql<ClaimRow>`
      ${claimable([...new Set(queues)], n, nowText, lock)}
      update jobs set
        status = case when ${exhausted} then 'dead' else 'running' end,
        attempts = case when ${exhausted} then attempts else attempts + 1 end,
        locked_by = case when ${exhausted} then null else ${this.workerId} end,
        locked_until = case when ${exhausted} then null else ${until} end,
        last_error = case when ${exhausted} then ${LEASE_EXPIRED_ON_LAST_ATTEMPT} else last_error end,
        updated_at = ${nowText}
      where id in (select id from picked)
      returning id, queue, payload, status, attempts, max_attempts, run_at, created_at
    `.execute(this.handle.db);
    return result.rows
      .filter((row) => row.status === 'running')
      .sort((a, b) => (a.run_at < b.run_at ? -1 : a.run_at > b.run_at ? 1 : a.id - b.id))
      .map(toClaimedJob);
  }

  /**
   * Reads up to `limit` ready jobs of one queue (oldest run_at first) inside the caller's transaction,
   * without a lease: for work done entirely in that transaction, which then deletes the jobs it took
   * (`completeTaken`). Nothing is written to take them, so a rollback or a crash leaves them as they
   * were, and taking costs a read instead of a write transaction of its own (a claim was about a
   * quarter of the CPU of applying a small inbound job). On PostgreSQL the rows stay locked until the
   * transaction ends and concurrent takers skip them; SQLite runs one writer at a time.
   *
   * A crash does not count an attempt here: callers should take only first attempts of jobs made
   * after they started (`newestJobId`), and leave anything else to `claim`, which counts attempts.
   * `attempts` of the result includes this one, as for a claim.
   */
  async takeReady(trx: Db, queue: string, limit: number): Promise<ClaimedJob[]> {
    const lock = this.handle.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const result = await sql<ClaimRow>`select id, queue, payload, status, attempts + 1 as attempts,
        max_attempts, run_at, created_at
      from jobs
      where queue = ${queue} and status = 'queued' and run_at <= ${iso(this.clock.now())}
      order by run_at, id limit ${Math.max(1, Math.floor(limit))} ${lock}`.execute(trx);
    return result.rows.map(toClaimedJob);
  }

  /** Deletes jobs taken with `takeReady`, in the same transaction. Returns how many it deleted. */
  async completeTaken(trx: Db, ids: readonly number[]): Promise<number> {
    return deleteJobs(trx, ids, 'queued');
  }

  /**
   * Records a failed attempt of a taken job, after its transaction rolled back: queued again after the
   * backoff, or dead once out of attempts. 'lost' when the job is no longer queued.
   */
  async failTaken(id: number, error: string): Promise<FailResult> {
    // a taken job's attempt was never counted (nothing is written to take it): count it now
    return this.recordFailure(id, error, { status: 'queued', uncounted: true }, {});
  }

  /** The highest job id so far (0 when none): jobs above it were made after this call. */
  async newestJobId(): Promise<number> {
    const row = await this.handle.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /**
   * Deletes finished jobs. Run it inside the handler's transaction so effects and completion commit
   * together. Returns how many were completed: fewer than `ids.length` means this worker lost a
   * lease (another worker took the job after expiry), and the caller should roll back its effects.
   */
  async complete(db: Db, ids: readonly number[]): Promise<number> {
    return deleteJobs(db, ids, 'running', this.workerId);
  }

  /**
   * Records a failed attempt. Retryable with attempts left → queued again after `retryAfterMs`
   * or the backoff; otherwise dead with the error. 'lost' when the job no longer runs under this
   * worker (nothing is changed then).
   */
  async fail(id: number, error: string, options: FailOptions = {}): Promise<FailResult> {
    return this.recordFailure(
      id,
      error,
      { status: 'running', lockedBy: this.workerId, attempt: options.attempt },
      options,
    );
  }

  /**
   * The failure of one attempt of a job that is still as the caller saw it (`owner`): queued again
   * after the delay, or dead. `uncounted`: the attempt is not in `attempts` yet (taken, not claimed).
   */
  private async recordFailure(
    id: number,
    error: string,
    owner: { status: 'queued' | 'running'; lockedBy?: string; attempt?: number; uncounted?: boolean },
    options: FailOptions,
  ): Promise<FailResult> {
    const db = this.handle.db;
    let current = db
      .selectFrom('jobs')
      .select(['attempts', 'max_attempts'])
      .where('id', '=', id)
      .where('status', '=', owner.status);
    if (owner.lockedBy !== undefined) current = current.where('locked_by', '=', owner.lockedBy);
    if (owner.attempt !== undefined) current = current.where('attempts', '=', owner.attempt);
    const row = await current.executeTakeFirst();
    if (!row) return 'lost';

    const now = this.clock.now();
    const attempts = row.attempts + (owner.uncounted ? 1 : 0);
    const retry = (options.retryable ?? true) && attempts < row.max_attempts;
    const delayMs = options.retryAfterMs ?? backoffDelayMs(attempts, this.backoff, this.random);
    let update = db
      .updateTable('jobs')
      .set({
        status: retry ? 'queued' : 'dead',
        attempts,
        ...(retry ? { run_at: iso(new Date(now.getTime() + Math.max(0, delayMs))) } : {}),
        locked_by: null,
        locked_until: null,
        last_error: error.slice(0, MAX_ERROR_LENGTH),
        updated_at: iso(now),
      })
      .where('id', '=', id)
      .where('status', '=', owner.status)
      // the same attempt we just read: a re-claim in between is not ours to fail
      .where('attempts', '=', row.attempts);
    if (owner.lockedBy !== undefined) update = update.where('locked_by', '=', owner.lockedBy);
    const result = await update.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return 'lost';
    return retry ? 'retry' : 'dead';
  }

  /**
   * Puts a running job back to wait until `runAt` without spending an attempt: for work that was
   * not tried (a rate limit said "not yet", a channel waits for credentials, an outcome awaits
   * reconciliation). Returns false when the job is no longer ours.
   */
  async release(id: number, runAt: Date, note?: string): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.handle.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'queued',
        run_at: iso(runAt),
        attempts: eb('attempts', '-', 1),
        locked_by: null,
        locked_until: null,
        ...(note !== undefined && { last_error: note.slice(0, MAX_ERROR_LENGTH) }),
        updated_at: iso(now),
      }))
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('locked_by', '=', this.workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Pushes the lease of running jobs forward by leaseMs from now. Returns how many are still ours. */
  async extendLease(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const now = this.clock.now();
    const result = await this.handle.db
      .updateTable('jobs')
      .set({ locked_until: iso(new Date(now.getTime() + this.leaseMs)), updated_at: iso(now) })
      .where('id', 'in', ids)
      .where('status', '=', 'running')
      .where('locked_by', '=', this.workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Depth and lag per queue, for /metrics. */
  async stats(): Promise<QueueStats[]> {
    const now = this.clock.now();
    const nowText = iso(now);
    const ready = sql`status = 'queued' and run_at <= ${nowText}`;
    const rows = await this.handle.db
      .selectFrom('jobs')
      .select([
        'queue',
        sql<number>`sum(case when ${ready} then 1 else 0 end)`.as('queued'),
        sql<number>`sum(case when status = 'queued' and run_at > ${nowText} then 1 else 0 end)`.as(
          'scheduled',
        ),
        sql<number>`sum(case when status = 'running' then 1 else 0 end)`.as('running'),
        sql<number>`sum(case when status = 'dead' then 1 else 0 end)`.as('dead'),
        sql<string | null>`min(case when ${ready} then run_at end)`.as('oldest_ready'),
      ])
      .groupBy('queue')
      .orderBy('queue')
      .execute();
    return rows.map((r) => ({
      queue: r.queue,
      queued: Number(r.queued),
      scheduled: Number(r.scheduled),
      running: Number(r.running),
      dead: Number(r.dead),
      oldestReadyAgeMs: r.oldest_ready ? Math.max(0, now.getTime() - Date.parse(r.oldest_ready)) : 0,
    }));
  }

  /** Dead letters, most recently dead first. */
  async listDead(queue?: string, limit = 100): Promise<DeadJob[]> {
    let query = this.handle.db
      .selectFrom('jobs')
      .select([
        'id',
        'queue',
        'payload',
        'attempts',
        'max_attempts',
        'last_error',
        'created_at',
        'updated_at',
      ])
      .where('status', '=', 'dead');
    if (queue !== undefined) query = query.where('queue', '=', queue);
    const rows = await query.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      queue: r.queue,
      payload: JSON.parse(r.payload) as unknown,
      attempts: r.attempts,
      maxAttempts: r.max_attempts,
      lastError: r.last_error,
      createdAt: new Date(r.created_at),
      diedAt: new Date(r.updated_at),
    }));
  }

  /** Puts a dead job back in its queue, ready now, with a fresh set of attempts (last_error kept). */
  async retryDead(id: number): Promise<boolean> {
    const now = iso(this.clock.now());
    const result = await this.handle.db
      .updateTable('jobs')
      .set({
        status: 'queued',
        attempts: 0,
        run_at: now,
        locked_by: null,
        locked_until: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Deletes a dead job for good. */
  async discardDead(id: number): Promise<boolean> {
    const result = await this.handle.db
      .deleteFrom('jobs')
      .where('id', '=', id)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

/**
 * `with … picked as (…)`: the ids to claim. One branch per queue plus one for expired leases, so
 * each is a short scan of its index (jobs_ready, jobs_lease) rather than a sort of the whole backlog.
 */
function claimable(
  queues: readonly string[],
  limit: number,
  now: string,
  lock: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const ready = queues.map((queue, i) => {
    const name = sql.raw(`ready_${i}`);
    const query = sql`select id, run_at from jobs
      where queue = ${queue} and status = 'queued' and run_at <= ${now}
      order by run_at, id limit ${limit} ${lock}`;
    return { name, cte: sql`${name} as (${query})` };
  });
  const expired = sql`select id, run_at from jobs
    where queue in (${sql.join(queues)}) and status = 'running' and locked_until < ${now}
    order by run_at, id limit ${limit} ${lock}`;
  const branches = [...ready.map((r) => r.name), sql.raw('expired')];
  const candidates = sql.join(
    branches.map((b) => sql`select id, run_at from ${b}`),
    sql` union all `,
  );
  return sql`with ${sql.join(ready.map((r) => r.cte))},
    expired as (${expired}),
    picked as (select id from (${candidates}) candidates order by run_at, id limit ${limit})`;
}

/** Deletes those of `ids` in `status` (and leased by `lockedBy`, when given); returns how many. */
async function deleteJobs(
  db: Db,
  ids: readonly number[],
  status: 'queued' | 'running',
  lockedBy?: string,
): Promise<number> {
  if (ids.length === 0) return 0;
  let query = db.deleteFrom('jobs').where('id', 'in', ids).where('status', '=', status);
  if (lockedBy !== undefined) query = query.where('locked_by', '=', lockedBy);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

function toClaimedJob(row: ClaimRow): ClaimedJob {
  return {
    id: Number(row.id),
    queue: row.queue,
    payload: JSON.parse(row.payload) as unknown,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    createdAt: new Date(row.created_at),
  };
}
