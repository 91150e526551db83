import Database from 'better-sqlite3';
import type { AckLog, DeliveryPool } from './deliveries.ts';
import { sleep } from './children.ts';
import { percentile, sortedCopy } from './stats.ts';

/**
 * Read-only views of a Switchboard SQLite file, taken by the benchmark from outside the server
 * (WAL lets us read while it writes).
 */

interface EventRow {
  id: number;
  received_at: string;
  applied_at: string | null;
  status: string;
  wamid: string | null;
}

function open(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true });
}

function eventRows(file: string): EventRow[] {
  const db = open(file);
  try {
    return db
      .prepare<[], EventRow>(
        `select id, received_at, applied_at, status,
           json_extract(cast(body as text), '$.entry[0].changes[0].value.messages[0].id') as wamid
         from webhook_events`,
      )
      .all();
  } finally {
    db.close();
  }
}

export function pendingCount(file: string): number {
  const db = open(file);
  try {
    const row = db
      .prepare<[], { n: number }>(`select count(*) as n from webhook_events where status = 'received'`)
      .get();
    return row?.n ?? 0;
  } finally {
    db.close();
  }
}

/** Polls until no stored delivery is waiting to be applied; false when `timeoutMs` ran out. */
export async function waitUntilApplied(file: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pendingCount(file) === 0) return true;
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
export function checkStored(file: string, pool: DeliveryPool, log: AckLog): StoredCheck {
  const seen = new Uint8Array(pool.size);
  let rows = 0;
  let duplicateRows = 0;
  for (const row of eventRows(file)) {
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
export function lagStats(file: string, pool: DeliveryPool): LagStats {
  const lags: number[] = [];
  const byStatus: Record<string, number> = {};
  let rows = 0;
  for (const row of eventRows(file)) {
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
