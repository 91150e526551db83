import { sql } from 'kysely';
import type { Db } from '../db.ts';

/** Increments a named counter and returns the new value; the row lock serializes concurrent callers. */
export async function nextCounterValue(db: Db, name: string, start: number): Promise<number> {
  await db
    .insertInto('counters')
    .values({ name, value: start })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', name)
    .returning('value')
    .executeTakeFirstOrThrow();
  return row.value;
}

/** The next value of a PostgreSQL sequence (no lock held: concurrent transactions never wait). */
export async function nextSequenceValue(db: Db, sequence: 'case_numbers'): Promise<number> {
  const { rows } = await sql<{ value: string }>`select nextval(${sequence}) as value`.execute(db);
  return Number(rows[0]!.value);
}
