import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileEntryStatus } from '../src/jobs/inbound/apply-status.ts';
import { upsertChannel } from '../src/storage/repositories/channels.ts';
import { insertEntry, insertStatus } from '../src/storage/repositories/entries.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import {
  CHANNEL,
  startTestServer,
  statusDelivery,
  tableCounts,
  textDelivery,
  type TestServer,
} from './support/server.ts';

describe.each(testDialects())('applying deliveries exactly once on %s', (dialect) => {
  let t: TestDatabase;
  let server: TestServer;
  const db = () => server.runtime.handle.db;
  /** An outbound entry the sender has just recorded as accepted by Meta. */
  const insertOutboundEntry = async (wamid: string) => {
    const session = await db().selectFrom('messaging_sessions').selectAll().executeTakeFirstOrThrow();
    await insertEntry(
      db(),
      {
        sessionId: session.id,
        channelId: session.channel_id,
        endUserId: session.end_user_id,
        direction: 'outbound',
        actorType: 'Agent',
        type: 'text',
        text: 'hi',
        content: { type: 'text', body: 'hi' },
        wamid,
        contextWamid: null,
        status: 'accepted',
        occurredAt: new Date(),
      },
      new Date(),
    );
  };
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    server = await startTestServer(t);
    await upsertChannel(db(), CHANNEL, new Date());
  });
  afterAll(async () => {
    await server.stop();
    await t.destroy();
  });

  it('a re-delivered message changes nothing', async () => {
    const delivery = textDelivery({ wamid: 'wamid.dup-1', from: '447700900001', name: 'Ada Lovelace' });
    expect((await server.deliver(delivery)).status).toBe(200);
    await server.settled();
    const before = await tableCounts(server.runtime);
    expect(before.conversation_entries).toBeGreaterThan(0);

    for (let i = 0; i < 3; i++) expect((await server.deliver(delivery)).status).toBe(200);
    await server.settled();
    expect(await tableCounts(server.runtime)).toEqual(before);
    const entries = await db()
      .selectFrom('conversation_entries')
      .selectAll()
      .where('wamid', '=', 'wamid.dup-1')
      .execute();
    expect(entries).toHaveLength(1);
    // Every raw delivery is kept (the audit of what Meta sent); all of them are marked applied.
    const raw = await db().selectFrom('webhook_events').select('status').execute();
    expect(raw.filter((r) => r.status === 'applied').length).toBeGreaterThanOrEqual(4);
  });

  it('publishes what it applied on the event bus, after the commit', async () => {
    const seen: { type: string; committed: boolean }[] = [];
    const unsubscribe = server.runtime.bus.subscribe((event) => {
      if (event.type !== 'entry.created' && event.type !== 'session.opened') return;
      // Subscribers run after the commit: the row is already visible to another reader.
      void db()
        .selectFrom('conversation_entries')
        .select('id')
        .where('wamid', '=', 'wamid.bus-1')
        .executeTakeFirst()
        .then((row) => seen.push({ type: event.type, committed: row !== undefined }));
    });
    await server.deliver(textDelivery({ wamid: 'wamid.bus-1', from: '447700900777' }));
    await server.settled();
    await new Promise((r) => setTimeout(r, 50));
    unsubscribe();
    expect(seen.map((s) => s.type).sort()).toEqual(['entry.created', 'session.opened']);
    expect(seen.every((s) => s.committed)).toBe(true);
  });

  it('a re-delivered status changes nothing', async () => {
    const status = statusDelivery({
      wamid: 'wamid.out-dup',
      status: 'delivered',
      recipient: '447700900001',
      timestamp: 1_700_000_100,
    });
    await server.deliver(status);
    await server.settled();
    const before = await tableCounts(server.runtime);
    await server.deliver(status);
    await server.settled();
    expect(await tableCounts(server.runtime)).toEqual(before);
  });

  it('statuses that arrive before their message, in any order, end in the right state', async () => {
    const wamid = 'wamid.out-early';
    for (const [status, ts] of [
      ['read', 30],
      ['sent', 10],
      ['delivered', 20],
    ] as const) {
      await server.deliver(
        statusDelivery({ wamid, status, recipient: '447700900001', timestamp: 1_700_000_000 + ts }),
      );
    }
    await server.settled();
    // Now the outbound message is recorded (as the sender will do): its state comes from the history.
    await insertOutboundEntry(wamid);
    expect((await reconcileEntryStatus(db(), wamid))?.status).toBe('read');
    const message = await server.api<{ status: string; statusHistory: { status: string }[] }>(
      `/api/v1/messages/${wamid}`,
    );
    expect(message.status).toBe(200);
    expect(message.body.status).toBe('read');
    expect(message.body.statusHistory.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);

    // A late 'sent' after the entry exists does not move it back.
    await server.deliver(
      statusDelivery({ wamid, status: 'sent', recipient: '447700900001', timestamp: 1_700_000_500 }),
    );
    await server.settled();
    expect((await server.api<{ status: string }>(`/api/v1/messages/${wamid}`)).body.status).toBe('read');
  });

  it('two statuses of one message applied side by side end in the later state', async () => {
    const wamid = 'wamid.out-side-by-side';
    await insertOutboundEntry(wamid);
    const status = (name: string, at: number) => ({
      wamid,
      status: name,
      recipientId: '447700900001',
      occurredAt: new Date(at),
      errors: null,
      pricing: null,
      conversation: null,
      bizOpaqueCallbackData: null,
    });
    // 'read' is applied and held uncommitted while 'sent' (reordered by Meta) is applied beside it.
    let commitRead!: () => void;
    const readMayCommit = new Promise<void>((resolve) => (commitRead = resolve));
    let readApplied!: () => void;
    const readIsApplied = new Promise<void>((resolve) => (readApplied = resolve));
    const first = db()
      .transaction()
      .execute(async (trx) => {
        await insertStatus(trx, status('read', 2_000), new Date());
        await reconcileEntryStatus(trx, wamid);
        readApplied();
        await readMayCommit;
      });
    await readIsApplied;
    const second = db()
      .transaction()
      .execute(async (trx) => {
        await insertStatus(trx, status('sent', 1_000), new Date());
        return reconcileEntryStatus(trx, wamid);
      });
    await new Promise((r) => setTimeout(r, 100)); // on PostgreSQL, 'sent' now waits for the row
    commitRead();
    await first;
    expect((await second)?.status).toBe('read');
    const entry = await db()
      .selectFrom('conversation_entries')
      .select('status')
      .where('wamid', '=', wamid)
      .executeTakeFirstOrThrow();
    expect(entry.status).toBe('read');
  });

  it('a failed status keeps its code, title and details', async () => {
    const wamid = 'wamid.out-failed';
    await insertOutboundEntry(wamid);
    const errors = [
      {
        code: 131047,
        title: 'Re-engagement message',
        message: 'Re-engagement message',
        error_data: {
          details:
            'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
        },
      },
    ];
    await server.deliver(
      statusDelivery({
        wamid,
        status: 'failed',
        recipient: '447700900001',
        timestamp: 1_700_000_600,
        errors,
      }),
    );
    await server.settled();
    const message = await server.api<{
      status: string;
      error: { code: number; title: string; details: string };
    }>(`/api/v1/messages/${wamid}`);
    expect(message.body.status).toBe('failed');
    expect(message.body.error).toMatchObject({ code: 131047, title: 'Re-engagement message' });
    expect(message.body.error.details).toContain('24 hours');
  });

  it('concurrent first messages from one new customer make one end user, one lead, one session', async () => {
    const from = '5511987650000';
    const before = await tableCounts(server.runtime);
    const responses = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        server.deliver(
          textDelivery({ wamid: `wamid.burst-${i}`, from, name: 'Bruna Souza', body: `message ${i}` }),
        ),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    await server.settled();
    const after = await tableCounts(server.runtime);
    expect(after.end_users - before.end_users).toBe(1);
    expect(after.leads - before.leads).toBe(1);
    expect(after.contacts - before.contacts).toBe(0);
    expect(after.messaging_sessions - before.messaging_sessions).toBe(1);
    expect(after.cases - before.cases).toBe(1);
    expect(after.conversation_entries - before.conversation_entries).toBe(25);
  });

  it('keeps a delivery for an unknown number as unrouted, reports it, and applies it once the channel exists', async () => {
    const delivery = textDelivery({
      wamid: 'wamid.unrouted-1',
      from: '4915112345678',
      phoneNumberId: '999000111',
    });
    expect((await server.deliver(delivery)).status).toBe(200);
    await server.settled();
    const report = await server.api<{ data: { status: string; note: string }[] }>(
      '/api/v1/webhook-events?status=unrouted',
    );
    expect(report.body.data).toHaveLength(1);
    expect(report.body.data[0]!.note).toContain('999000111');
    expect(
      await db()
        .selectFrom('conversation_entries')
        .select('id')
        .where('wamid', '=', 'wamid.unrouted-1')
        .execute(),
    ).toHaveLength(0);

    const created = await server.api<{ requeuedDeliveries: number }>('/api/v1/channels/999000111', {
      method: 'PUT',
      body: JSON.stringify({ name: 'Berlin desk', wabaId: CHANNEL.wabaId }),
    });
    expect(created.status).toBe(200);
    expect(created.body.requeuedDeliveries).toBe(1);
    await server.settled();
    expect(
      await db()
        .selectFrom('conversation_entries')
        .select('id')
        .where('wamid', '=', 'wamid.unrouted-1')
        .execute(),
    ).toHaveLength(1);
    expect(
      (await server.api<{ data: unknown[] }>('/api/v1/webhook-events?status=unrouted')).body.data,
    ).toHaveLength(0);
  });
});
