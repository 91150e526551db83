import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.ts';

/**
 * PostgreSQL: Case numbers come from a sequence instead of the `counters` row. Every transaction that
 * opened a Case held that row's lock until it committed, so first messages from new customers were
 * applied one at a time however many worker loops ran (its insert averaged 2.6 ms in a drain). A
 * sequence never waits; a rolled-back transaction leaves a gap in the numbers, as Salesforce's
 * auto-numbers can. SQLite runs one writer at a time, so its counter row never waits and stays.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  const { rows } = await sql<{ next: string }>`
    select coalesce(max(value), 1000) + 1 as next from counters where name = 'case_number'`.execute(db);
  const next = Number(rows[0]?.next ?? 1001);
  await sql`create sequence case_numbers start with ${sql.lit(next)}`.execute(db);
}
