import path from 'node:path';
import pg from 'pg';
import { postgresInboxView, sqliteInboxView, type InboxView } from './inbox-db.ts';

/**
 * The database of one Switchboard server under test: its SQLite file in the data directory (the
 * default), or a fresh PostgreSQL database on the server at `adminUrl`, dropped afterwards.
 */
export interface BenchDatabase {
  /** environment for the Switchboard child (DATABASE_URL for PostgreSQL) */
  env: Record<string, string>;
  inbox: InboxView;
  drop(): Promise<void>;
}

export type BenchDatabaseKind = 'sqlite' | 'postgres';

export async function createBenchDatabase(
  kind: BenchDatabaseKind,
  dataDir: string,
  adminUrl: string,
  name: string,
): Promise<BenchDatabase> {
  if (kind === 'sqlite') {
    const inbox = sqliteInboxView(path.join(dataDir, 'switchboard.sqlite'));
    return { env: {}, inbox, drop: () => inbox.close() };
  }
  const database = name.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  await adminQuery(adminUrl, `create database "${database}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const inbox = postgresInboxView(url.toString());
  return {
    env: { DATABASE_URL: url.toString() },
    inbox,
    drop: async () => {
      await inbox.close();
      await adminQuery(adminUrl, `drop database if exists "${database}" with (force)`);
    },
  };
}

async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
