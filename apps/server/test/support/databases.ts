import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
  type DatabaseOptions,
  type Dialect,
} from '../../src/storage/db.ts';

/**
 * The databases every storage and pipeline suite runs on. `npm test` uses SQLite; CI repeats the
 * same suites with TEST_DATABASES=postgres against TEST_POSTGRES_URL (the local server).
 */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function testDialects(): Dialect[] {
  const wanted = (process.env.TEST_DATABASES ?? 'sqlite').split(',').map((s) => s.trim());
  return wanted.filter((d): d is Dialect => d === 'sqlite' || d === 'postgres');
}

/** A fresh, migrated, empty database: a temp SQLite file or a new PostgreSQL schema. */
export interface TestDatabase {
  readonly dialect: Dialect;
  /** options that open the same database again (another pool, another process) */
  readonly options: DatabaseOptions;
  /** the same thing as environment variables for a child `switchboard` process */
  readonly env: Record<string, string>;
  readonly handle: DatabaseHandle;
  destroy(): Promise<void>;
}

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'));
    const options: DatabaseOptions = { kind: 'sqlite', file: path.join(dir, 'switchboard.sqlite') };
    const handle = await openDatabase(options);
    await migrateToLatest(handle);
    return {
      dialect,
      options,
      env: { DATA_DIR: dir },
      handle,
      destroy: async () => {
        await handle.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = withSearchPath(TEST_POSTGRES_URL, schema);
  const options: DatabaseOptions = { kind: 'postgres', url };
  const handle = await openDatabase(options);
  await migrateToLatest(handle);
  return {
    dialect,
    options,
    env: { DATABASE_URL: url },
    handle,
    destroy: async () => {
      await handle.close();
      const cleanup = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await cleanup.connect();
      await cleanup.query(`drop schema ${schema} cascade`);
      await cleanup.end();
    },
  };
}

/** libpq's `options` parameter sets search_path for every connection, in this and child processes. */
function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}
