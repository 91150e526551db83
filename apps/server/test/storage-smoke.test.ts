import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';

describe.each(testDialects())('migrations on %s', (dialect) => {
  let t: TestDatabase | undefined;
  afterEach(async () => t?.destroy());

  it('creates every table and can write and read a channel', async () => {
    t = await createTestDatabase(dialect);
    const now = new Date().toISOString();
    await t.handle.db
      .insertInto('channels')
      .values({
        id: 'c1',
        phone_number_id: '123',
        name: 'Main',
        created_at: now,
        updated_at: now,
        status: 'active',
        throughput_mps: 80,
        unmatched_customer_rule: 'lead',
        reopen_window_minutes: 60,
        create_case: 1,
      })
      .execute();
    const row = await t.handle.db.selectFrom('channels').selectAll().executeTakeFirstOrThrow();
    expect(row.phone_number_id).toBe('123');
    expect(row.throughput_mps).toBe(80);
  });
});
