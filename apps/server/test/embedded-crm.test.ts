import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedCrm } from '../src/crm/embedded/embedded-crm.ts';
import { openDatabase, type DatabaseHandle } from '../src/storage/db.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';

const NEW_CASE = { subject: 'WhatsApp conversation', origin: 'WhatsApp', contactId: null, leadId: null };

/** Case numbers of the embedded CRM, on every database. */
describe.each(testDialects())('embedded CRM Case numbers on %s', (dialect) => {
  let t: TestDatabase;
  let crm: EmbeddedCrm;
  const extraHandles: DatabaseHandle[] = [];
  beforeEach(async () => {
    t = await createTestDatabase(dialect);
    crm = new EmbeddedCrm();
  });
  afterEach(async () => {
    await Promise.all(extraHandles.splice(0).map((h) => h.close()));
    await t.destroy();
  });

  it('numbers Cases from 00001001 upwards, each once, also when opened side by side', async () => {
    const first = await crm.openCase(t.handle.db, NEW_CASE, new Date());
    expect(first.caseNumber).toBe('00001001');
    const more = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.handle.db.transaction().execute((trx) => crm.openCase(trx, NEW_CASE, new Date())),
      ),
    );
    const numbers = more.map((c) => c.caseNumber);
    expect(new Set(numbers).size).toBe(20);
    for (const n of numbers) expect(n > first.caseNumber).toBe(true);
  });

  it.runIf(dialect === 'postgres')(
    'does not make a transaction opening a Case wait for another one still open',
    async () => {
      const other = await openDatabase(t.options);
      extraHandles.push(other);
      let finish!: () => void;
      const held = new Promise<void>((resolve) => (finish = resolve));
      let opened!: () => void;
      const firstOpened = new Promise<void>((resolve) => (opened = resolve));
      const slow = t.handle.db.transaction().execute(async (trx) => {
        await crm.openCase(trx, NEW_CASE, new Date());
        opened();
        await held; // still open while the other one opens its Case
      });
      await firstOpened;
      try {
        const second = await Promise.race([
          other.db.transaction().execute((trx) => crm.openCase(trx, NEW_CASE, new Date())),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('waited for the other transaction')), 3000),
          ),
        ]);
        expect(second.caseNumber).toBe('00001002');
      } finally {
        finish();
        await slow;
      }
    },
  );
});
