import {
  apiErrorSchema,
  conversationSchema,
  entrySchema,
  messageSchema,
  pageSchema,
} from '@switchboard/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/storage/repositories/api-tokens.ts';
import { upsertChannel } from '../src/storage/repositories/channels.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import {
  CHANNEL,
  startTestServer,
  TEST_ADMIN_TOKEN,
  textDelivery,
  type TestServer,
} from './support/server.ts';

describe.each(testDialects())('read API on %s', (dialect) => {
  let t: TestDatabase;
  let server: TestServer;
  let other: { id: string };
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    server = await startTestServer(t);
    const db = server.runtime.handle.db;
    await upsertChannel(db, CHANNEL, new Date());
    other = await upsertChannel(db, { phoneNumberId: '300000000000001' }, new Date());
    // 7 customers on the main channel (one message each), 2 on the other; customer 0 writes 5 times.
    const base = 1_770_000_000;
    for (let i = 0; i < 7; i++)
      await server.deliver(
        textDelivery({
          wamid: `wamid.api-${i}`,
          from: `4420790000${i}0`,
          timestamp: base + i * 60,
          body: `<b>hi</b> ${i}`,
        }),
      );
    for (let i = 0; i < 2; i++)
      await server.deliver(
        textDelivery({
          wamid: `wamid.api-other-${i}`,
          from: `4420790001${i}0`,
          timestamp: base + 1000 + i,
          phoneNumberId: '300000000000001',
        }),
      );
    for (let k = 1; k <= 4; k++)
      await server.deliver(
        textDelivery({ wamid: `wamid.api-0-${k}`, from: '442079000000', timestamp: base + 5000 + k }),
      );
    await server.settled();
  });
  afterAll(async () => {
    await server.stop();
    await t.destroy();
  });

  it('refuses calls without a valid bearer token with a stable error code', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }] as Record<
      string,
      string
    >[]) {
      const response = await fetch(`${server.url}/api/v1/conversations`, { headers });
      expect(response.status).toBe(401);
      expect(apiErrorSchema.parse(await response.json()).error.code).toBe('unauthorized');
    }
  });

  it('accepts a token made by `token create`, stored only as a hash', async () => {
    const { token } = await createApiToken(server.runtime.handle.db, 'crm-sync', new Date());
    const response = await fetch(`${server.url}/api/v1/conversations`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const rows = await server.runtime.handle.db.selectFrom('api_tokens').select('token_hash').execute();
    expect(rows.some((r) => r.token_hash === token)).toBe(false);
  });

  it("names the caller's token in the audit trail of what it changed", async () => {
    const { token } = await createApiToken(server.runtime.handle.db, 'ops-bot', new Date());
    const put = (phoneNumberId: string, bearer: string) =>
      fetch(`${server.url}/api/v1/channels/${phoneNumberId}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Audit check' }),
      });
    expect((await put('300000000000098', token)).status).toBe(200);
    expect((await put('300000000000099', TEST_ADMIN_TOKEN)).status).toBe(200);
    const audit = await server.runtime.handle.db
      .selectFrom('audit_events')
      .select(['actor', 'detail'])
      .where('action', '=', 'channel.upsert')
      .execute();
    const actorByNumber = Object.fromEntries(
      audit.map((a) => [JSON.parse(a.detail!).phoneNumberId as string, a.actor]),
    );
    expect(actorByNumber).toEqual({ '300000000000098': 'ops-bot', '300000000000099': 'admin' });
  });

  it('lists conversations newest first with cursor pagination and no repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    const starts: string[] = [];
    do {
      const page = await server.api(`/api/v1/conversations?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      const body = pageSchema(conversationSchema).parse(page.body);
      seen.push(...body.data.map((c) => c.id));
      starts.push(...body.data.map((c) => c.startedAt));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(9);
    expect(new Set(seen).size).toBe(9);
    expect([...starts].sort().reverse()).toEqual(starts);
  });

  it('filters conversations by channel and status', async () => {
    const byChannel = pageSchema(conversationSchema).parse(
      (await server.api(`/api/v1/conversations?channel=${other.id}`)).body,
    );
    expect(byChannel.data).toHaveLength(2);
    expect(byChannel.data.every((c) => c.channelId === other.id)).toBe(true);
    const ended = pageSchema(conversationSchema).parse(
      (await server.api('/api/v1/conversations?status=Ended')).body,
    );
    expect(ended.data).toHaveLength(0);
    const fresh = pageSchema(conversationSchema).parse(
      (await server.api('/api/v1/conversations?status=New')).body,
    );
    expect(fresh.data).toHaveLength(9);
    const bad = await server.api('/api/v1/conversations?status=Nope');
    expect(bad.status).toBe(400);
  });

  it('pages a conversation’s entries oldest first, with customer text returned as data', async () => {
    const list = pageSchema(conversationSchema).parse(
      (await server.api('/api/v1/conversations?limit=200')).body,
    );
    const busy = list.data.find((c) => c.endUser.waId === '442079000000')!;
    const first = pageSchema(entrySchema).parse(
      (await server.api(`/api/v1/conversations/${busy.id}/entries?limit=3`)).body,
    );
    expect(first.data.map((e) => e.wamid)).toEqual(['wamid.api-0', 'wamid.api-0-1', 'wamid.api-0-2']);
    expect(first.data[0]!.text).toBe('<b>hi</b> 0');
    const second = pageSchema(entrySchema).parse(
      (await server.api(`/api/v1/conversations/${busy.id}/entries?limit=3&cursor=${first.nextCursor}`)).body,
    );
    expect(second.data.map((e) => e.wamid)).toEqual(['wamid.api-0-3', 'wamid.api-0-4']);
    expect(second.nextCursor).toBeNull();
  });

  it('returns one message with its type, direction, content and status history', async () => {
    const message = messageSchema.parse((await server.api('/api/v1/messages/wamid.api-3')).body);
    expect(message).toMatchObject({
      type: 'text',
      direction: 'inbound',
      actorType: 'EndUser',
      status: 'received',
      statusHistory: [],
    });
    expect(message.content).toMatchObject({ type: 'text', body: '<b>hi</b> 3' });
  });

  it('answers unknown things with 404 and a JSON error', async () => {
    for (const path of [
      '/api/v1/messages/wamid.nope',
      '/api/v1/conversations/nope/entries',
      '/api/v1/end-users/4400000000',
      '/api/v1/nothing-here',
    ]) {
      const response = await server.api(path);
      expect(response.status, path).toBe(404);
      expect(apiErrorSchema.parse(response.body).error.code).toBe('not_found');
    }
    expect((await server.api('/api/v1/conversations?cursor=garbage')).status).toBe(400);
  });
});
