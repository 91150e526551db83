import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  sql,
  type MigrationProvider,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.ts';
import { SqliteDialect, type ExclusiveFn } from './sqlite-driver.ts';
import { WalSync } from './wal-sync.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

/** The database or an open transaction: repository functions accept either. */
export type Db = Kysely<Database> | Transaction<Database>;

/** For the few statements the dialects spell differently (row locks), where no handle is at hand. */
export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Whether statements run on the event loop itself (SQLite's synchronous driver), so that a long
 * transaction holds every request behind it. On PostgreSQL each statement is a round trip that gives
 * the loop back. The inbound worker sizes its chunks, and its pacer takes turns, by this.
 */
export function statementsHoldEventLoop(handle: Pick<DatabaseHandle, 'dialect'>): boolean {
  return handle.dialect === 'sqlite';
}

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * Resolves once everything committed so far is on disk. Await it before acknowledging anything
   * to the outside (a webhook 200, a send API 202, a call to Meta). PostgreSQL commits are durable
   * already; SQLite commits are, after this (see wal-sync.ts).
   */
  durable(): Promise<void>;
  /**
   * SQLite only: the raw connection under the query mutex, for hot paths (see sqlite-driver.ts).
   * `fn` runs at once when nothing holds the connection (its value is returned as is), else once
   * it is free (a promise).
   */
  readonly sqliteExclusive?: <T>(fn: ExclusiveFn<T>) => T | Promise<T>;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | {
      kind: 'sqlite';
      file: string;
      synchronous?: 'FULL' | 'NORMAL';
    }
  | { kind: 'postgres'; url: string; schema?: string; poolSize?: number };

// node-postgres returns int8 as text; our integer ids stay well below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.kind === 'sqlite') {
    if (options.file !== ':memory:') fs.mkdirSync(path.dirname(options.file), { recursive: true });
    const sqlite = new SqliteDatabase(options.file);
    sqlite.pragma('journal_mode = WAL');
    // Savepoint journals (and sort b-trees) in memory: an apply transaction's savepoint journals the
    // pages it changes, and past 64 KiB SQLite spilled that journal to a temp file (15–25 % of the
    // apply CPU in a drain of a backlog).
    sqlite.pragma('temp_store = MEMORY');
    // FULL durability comes from WalSync (an fdatasync off the event loop) rather than from SQLite
    // syncing inside every commit; NORMAL keeps commits consistent and crash-safe meanwhile.
    sqlite.pragma('synchronous = NORMAL');
    const walSync =
      (options.synchronous ?? 'FULL') === 'FULL' && options.file !== ':memory:'
        ? new WalSync(`${options.file}-wal`)
        : null;
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('foreign_keys = ON');
    const dialect = new SqliteDialect(sqlite);
    const db = new Kysely<Database>({ dialect });
    return {
      db,
      dialect: 'sqlite',
      durable: () => walSync?.sync() ?? Promise.resolve(),
      sqliteExclusive: (fn) => dialect.exclusive(fn),
      close: async () => {
        await walSync?.close();
        await db.destroy();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  if (options.schema) {
    const schema = options.schema;
    pool.on('connect', (client) => {
      client.query(`set search_path to "${schema.replaceAll('"', '')}"`).catch(() => undefined);
    });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', durable: () => Promise.resolve(), close: () => db.destroy() };
}

/** Applies every pending migration; safe to run from several processes at once (Kysely locks). */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: async () =>
      Object.fromEntries(
        migrations.map((m) => [m.name, { up: (db: Kysely<unknown>) => m.up(db, handle.dialect) }]),
      ),
  };
  // Kysely looks for its bookkeeping tables in every schema; pin them to ours so databases that
  // live side by side in one PostgreSQL (tests, tenants) never see each other's migrations.
  const migrationTableSchema =
    handle.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db: handle.db,
    provider,
    ...(migrationTableSchema && { migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
