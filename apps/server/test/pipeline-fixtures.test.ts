import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertChannel } from '../src/storage/repositories/channels.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import {
  loadWebhookFixtures,
  phoneNumberIdsOf,
  withFreshIds,
  type WebhookFixture,
} from './support/fixtures.ts';
import { startTestServer, tableCounts, type TestServer } from './support/server.ts';

const fixtures = loadWebhookFixtures();
const valid = fixtures.filter((f) => f.expectedKinds !== 'invalid-json');
const invalid = fixtures.filter((f) => f.expectedKinds === 'invalid-json');

/** Every fixture, own and shared (when ../shared is there), goes through the real receiver and worker. */
describe.each(testDialects())('every webhook fixture end to end on %s', (dialect) => {
  let t: TestDatabase;
  let server: TestServer;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    server = await startTestServer(t);
    // One channel per business number the fixtures mention, with the WABA it came from.
    const numbers = new Map<string, string>();
    for (const f of valid) for (const [id, waba] of businessNumbersOf(f.json)) numbers.set(id, waba);
    for (const [phoneNumberId, wabaId] of numbers)
      await upsertChannel(server.runtime.handle.db, { phoneNumberId, wabaId }, new Date());
  });
  afterAll(async () => {
    await server.stop();
    await t.destroy();
  });

  it('has fixtures for every documented type', () => {
    expect(valid.length).toBeGreaterThanOrEqual(40);
  });

  it.each(valid.map((f) => [f.name, f] as const))(
    '%s is accepted and applied with the right type',
    async (_name, fixture: WebhookFixture) => {
      const json = withFreshIds(fixture.json, `${dialect}-${fixture.name}`);
      const before = await tableCounts(server.runtime);
      const response = await server.deliver(json);
      expect(response.status).toBe(200);
      await server.settled();
      const db = server.runtime.handle.db;

      const event = await db
        .selectFrom('webhook_events')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      expect(event.status, event.note ?? '').toBe('applied');

      const kinds = fixture.expectedKinds as string[];
      const messageIds = idsOf(json, 'messages');
      expect(messageIds).toHaveLength(fixture.expectedContentTypes.length);
      for (const [i, wamid] of messageIds.entries()) {
        const entry = await db
          .selectFrom('conversation_entries')
          .selectAll()
          .where('wamid', '=', wamid)
          .executeTakeFirst();
        expect(entry, `entry for ${wamid}`).toBeDefined();
        expect(entry!.type).toBe(fixture.expectedContentTypes[i]);
        expect(entry!.direction).toBe('inbound');
      }
      for (const wamid of idsOf(json, 'statuses')) {
        const statuses = await db
          .selectFrom('message_statuses')
          .select('status')
          .where('wamid', '=', wamid)
          .execute();
        if (kinds.includes('status')) expect(statuses.length, `status for ${wamid}`).toBeGreaterThan(0);
      }
      const after = await tableCounts(server.runtime);
      const businessKinds = kinds.filter((k) => k !== 'message' && k !== 'status' && k !== 'user_preference');
      if (businessKinds.length > 0) expect(after.business_events).toBeGreaterThan(before.business_events);
      if (kinds.includes('user_preference'))
        expect(after.consent_records).toBeGreaterThan(before.consent_records);
      if (kinds.includes('message'))
        expect(after.conversation_entries - before.conversation_entries).toBe(messageIds.length);

      // Meta re-delivers: the same bytes again change nothing.
      const settledCounts = await tableCounts(server.runtime);
      expect((await server.deliver(json)).status).toBe(200);
      await server.settled();
      expect(await tableCounts(server.runtime)).toEqual(settledCounts);
    },
  );

  it.runIf(invalid.length > 0).each(invalid.map((f) => [f.name, f] as const))(
    '%s (not JSON) is refused with 400 and nothing is stored',
    async (_name, fixture: WebhookFixture) => {
      const count = async () =>
        (await server.runtime.handle.db.selectFrom('webhook_events').select('id').execute()).length;
      const before = await count();
      expect((await server.deliver(null, { raw: fixture.body })).status).toBe(400);
      expect(await count()).toBe(before);
    },
  );
});

function changesOf(json: unknown): Record<string, unknown>[] {
  const entries = (json as { entry?: { changes?: { value?: Record<string, unknown> }[] }[] }).entry ?? [];
  return entries.flatMap((e) => (e.changes ?? []).map((c) => c.value ?? {}));
}

function idsOf(json: unknown, key: 'messages' | 'statuses'): string[] {
  return changesOf(json).flatMap((v) =>
    ((v[key] as { id?: string }[] | undefined) ?? []).flatMap((m) => (m.id ? [m.id] : [])),
  );
}

function businessNumbersOf(json: unknown): [string, string][] {
  const entries = (json as { entry?: { id?: string }[] }).entry ?? [];
  const waba = entries[0]?.id ?? '0';
  return phoneNumberIdsOf(json).map((id) => [id, waba]);
}
