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
