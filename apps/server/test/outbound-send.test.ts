import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import { eventually, startSimulatedStack, type SimulatedStack } from './support/simulated.ts';

interface Outbound {
  id: string;
  entryId: string;
  status: string;
  wamid: string | null;
  conversationId: string;
}

describe.each(testDialects())('sending on %s', (dialect) => {
  let t: TestDatabase;
  let stack: SimulatedStack;
  let conversationId: string;
  const customer = '447700900501';
  const api = <T>(path: string, init?: RequestInit) => stack.server.api<T>(path, init);
  const post = <T>(path: string, body: unknown, headers: Record<string, string> = {}) =>
    api<T>(path, { method: 'POST', body: JSON.stringify(body), headers });
  const entryStatus = async (id: string) =>
    await stack.server.runtime.handle.db
      .selectFrom('conversation_entries')
      .select(['status', 'error'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    stack = await startSimulatedStack(t);
    await stack.sim.customer(customer, 'Ada').sendText('Hi, where is my order?');
    const conversation = await eventually(async () => {
      const list = await api<{ data: { id: string; endUser: { waId: string } }[] }>('/api/v1/conversations');
      return list.body.data.find((c) => c.endUser.waId === customer);
    }, 'the inbound conversation');
    conversationId = conversation.id;
    await eventually(
      async () =>
        (await api<{ data: unknown[] }>('/api/v1/templates')).body.data.length >= 3 ? true : undefined,
      'template sync',
    );
  });
  afterAll(async () => {
    await stack.stop();
    await t.destroy();
  });

  it('replies inside the window: queued, sent through the Graph API, and read by the customer', async () => {
    const sent = await post<Outbound>(`/api/v1/conversations/${conversationId}/messages`, {
      content: { type: 'text', body: 'It ships *today*.' },
    });
    expect(sent.status).toBe(202);
    expect(sent.body.status).toBe('queued');
    const read = await eventually(async () => {
      const e = await entryStatus(sent.body.entryId);
      return e.status === 'read' ? e : undefined;
    }, 'read status');
    expect(read.error).toBeNull();
    const atCustomer = stack.sim.sentTo(customer);
    expect(atCustomer.filter((m) => JSON.stringify(m).includes('It ships *today*.'))).toHaveLength(1);
    const outbound = (await api<Outbound>(`/api/v1/outbound/${sent.body.id}`)).body;
    expect(outbound.status).toBe('accepted');
    const message = await api<{ status: string; statusHistory: { status: string; pricing: unknown }[] }>(
      `/api/v1/messages/${encodeURIComponent(outbound.wamid!)}`,
    );
    expect(message.body.statusHistory.map((s) => s.status)).toEqual(
      expect.arrayContaining(['sent', 'delivered', 'read']),
    );
    expect(message.body.statusHistory[0]!.pricing).toMatchObject({ model: 'PMP' });
  });
});
