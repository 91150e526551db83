import Database from 'better-sqlite3';
import pg from 'pg';
import type { AckLog, DeliveryPool } from './deliveries.ts';
import { sleep } from './children.ts';
import { percentile, sortedCopy } from './stats.ts';

/**
 * Read-only views of a Switchboard inbox (`webhook_events`), taken by the benchmark from outside the
 * server: a SQLite file (WAL lets us read while it writes) or a PostgreSQL database.
 */
export interface InboxView {
  /** stored deliveries still waiting to be applied */
  pendingCount(): Promise<number>;
  eventRows(): Promise<EventRow[]>;
  close(): Promise<void>;
}

interface EventRow {
  id: number;
  received_at: string;
  applied_at: string | null;
  status: string;
  wamid: string | null;
}

export function sqliteInboxView(file: string): InboxView {
  const open = () => new Database(file, { readonly: true, fileMustExist: true });
  const read = <T>(fn: (db: Database.Database) => T): T => {
    const db = open();
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    pendingCount: async () =>
      read(
        (db) =>
          db
            .prepare<[], { n: number }>(`select count(*) as n from webhook_events where status = 'received'`)
            .get()?.n ?? 0,
      ),
    eventRows: async () =>
      read((db) =>
        db
          .prepare<[], EventRow>(
            `select id, received_at, applied_at, status,
               json_extract(cast(body as text), '$.entry[0].changes[0].value.messages[0].id') as wamid
             from webhook_events`,
          )
          .all(),
      ),
    close: async () => undefined,
  };
}

export function postgresInboxView(url: string): InboxView {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  return {
    pendingCount: async () => {
      const { rows } = await pool.query<{ n: string }>(
        `select count(*) as n from webhook_events where status = 'received'`,
      );
      return Number(rows[0]?.n ?? 0);
    },
    eventRows: async () =>
      (
        await pool.query<EventRow>(
          `select id::float8 as id, received_at, applied_at, status,
             convert_from(body, 'UTF8')::json #>> '{entry,0,changes,0,value,messages,0,id}' as wamid
           from webhook_events`,
        )
      ).rows,
    close: () => pool.end(),
  };
}

/** Polls until no stored delivery is waiting to be applied; false when `timeoutMs` ran out. */
export async function waitUntilApplied(inbox: InboxView, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await inbox.pendingCount()) === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

export interface StoredCheck {
  /** deliveries of the phase answered 2xx */
  acked: number;
  /** rows of the phase in webhook_events (acked or not: the last in-flight ones are stored too) */
  rows: number;
  /** acked deliveries whose row is present */
  ackedStored: number;
  /** acked deliveries with no row: must be 0 */
  missing: number;
  /** rows stored more than once for the same delivery */
  duplicateRows: number;
  storedPct: number;
}

/** Every acknowledged delivery of `pool` must have its row (matched by its unique wamid). */
export async function checkStored(inbox: InboxView, pool: DeliveryPool, log: AckLog): Promise<StoredCheck> {
  const seen = new Uint8Array(pool.size);
  let rows = 0;
  let duplicateRows = 0;
  for (const row of await inbox.eventRows()) {
    const i = pool.indexOf(row.wamid);
    if (i === null) continue;
    rows++;
    if (seen[i]) duplicateRows++;
    seen[i] = 1;
  }
  const acked = log.acked();
  const ackedStored = acked.filter((i) => seen[i]).length;
  return {
    acked: acked.length,
    rows,
    ackedStored,
    missing: acked.length - ackedStored,
    duplicateRows,
    storedPct: acked.length > 0 ? (100 * ackedStored) / acked.length : 100,
  };
}

export interface LagStats {
  rows: number;
  byStatus: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** received_at → applied_at of the rows of `pool` (ms resolution: both are ISO timestamps). */
export async function lagStats(inbox: InboxView, pool: DeliveryPool): Promise<LagStats> {
  const lags: number[] = [];
  const byStatus: Record<string, number> = {};
  let rows = 0;
  for (const row of await inbox.eventRows()) {
    if (pool.indexOf(row.wamid) === null) continue;
    rows++;
    byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
    if (row.applied_at) lags.push(Date.parse(row.applied_at) - Date.parse(row.received_at));
  }
  const sorted = sortedCopy(lags);
  return {
    rows,
    byStatus,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}
