import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/channels/whatsapp/signature.ts';
import { upsertChannel } from '../../src/storage/repositories/channels.ts';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.ts';
import { freePort, spawnSwitchboard, waitForExit } from '../support/process.ts';
import { CHANNEL, TEST_APP_SECRET, textDelivery } from '../support/server.ts';

const TOTAL = 3000;
const CONCURRENCY = 48;
const KILL_AFTER_ACKS = 1200;

/**
 * SIGKILL in the middle of a storm of deliveries, then a restart: every acknowledged delivery is
 * stored and applied exactly once, and Meta's redelivery of what was not acknowledged adds no copy.
 */
describe.each(testDialects())('crash safety on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    await upsertChannel(t.handle.db, CHANNEL, new Date());
  });
  afterAll(async () => t?.destroy());

  it('loses nothing acknowledged and applies nothing twice', { timeout: 180_000 }, async () => {
    const env = { ...t.env, WHATSAPP_APP_SECRET: TEST_APP_SECRET, JOB_LEASE_SECONDS: '3' };
    const port = await freePort();
    const first = await spawnSwitchboard(env, port);
    const bodies = Array.from({ length: TOTAL }, (_, i) =>
      Buffer.from(
        JSON.stringify(
          textDelivery({
            wamid: `wamid.crash-${i}`,
            from: `4477009${String(i % 500).padStart(5, '0')}`,
            body: `m${i}`,
          }),
        ),
      ),
    );
    const acked = new Set<number>();
    let next = 0;
    let killed = false;
    const send = (url: string, i: number) =>
      fetch(`${url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signBody(TEST_APP_SECRET, bodies[i]!),
        },
        body: bodies[i]!,
      });
    const client = async () => {
      while (next < TOTAL) {
        const i = next++;
        try {
          const response = await send(first.url, i);
          if (response.status === 200) acked.add(i);
          if (!killed && acked.size >= KILL_AFTER_ACKS) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        } catch {
          // connection refused or reset: the server is gone; Meta would retry this one later
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    await waitForExit(first.child);
    expect(killed).toBe(true);
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(acked.size).toBeLessThan(TOTAL);

    const second = await spawnSwitchboard(env, port);
    try {
      // What was stored before the kill is there, acknowledged or not.
      const stored = new Set(
        (await t.handle.db.selectFrom('webhook_events').select('body').execute()).map((r) =>
          Buffer.from(r.body).toString(),
        ),
      );
      for (const i of acked)
        expect(stored.has(bodies[i]!.toString()), `acked delivery ${i} not stored`).toBe(true);

      // Meta redelivers everything it did not get a 200 for.
      const missing = [...Array(TOTAL).keys()].filter((i) => !acked.has(i));
      for (let k = 0; k < missing.length; k += CONCURRENCY) {
        const statuses = await Promise.all(
          missing.slice(k, k + CONCURRENCY).map((i) => send(second.url, i).then((r) => r.status)),
        );
        expect(statuses.every((s) => s === 200)).toBe(true);
      }
      await waitForApplied(t, 120_000);

      const entries = await t.handle.db.selectFrom('conversation_entries').select('wamid').execute();
      expect(entries).toHaveLength(TOTAL);
      expect(new Set(entries.map((e) => e.wamid)).size).toBe(TOTAL);
      const sessions = await t.handle.db.selectFrom('messaging_sessions').select('end_user_id').execute();
      expect(sessions).toHaveLength(500);
      expect(await t.handle.db.selectFrom('end_users').select('id').execute()).toHaveLength(500);
      expect(await t.handle.db.selectFrom('leads').select('id').execute()).toHaveLength(500);
    } finally {
      second.child.kill('SIGTERM');
      await waitForExit(second.child);
    }
  });
});

async function waitForApplied(t: TestDatabase, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await t.handle.db
      .selectFrom('webhook_events')
      .select('id')
      .where('status', '=', 'received')
      .limit(1)
      .execute();
    const jobs = await t.handle.db
      .selectFrom('jobs')
      .select('id')
      .where('queue', '=', 'inbound')
      .limit(1)
      .execute();
    if (pending.length === 0 && jobs.length === 0) return;
    if (Date.now() > deadline) throw new Error('deliveries were not all applied in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
