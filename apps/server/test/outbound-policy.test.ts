import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/storage/ids.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import { BUSINESS, eventually, startSimulatedStack, type SimulatedStack } from './support/simulated.ts';

interface Outbound {
  id: string;
  entryId: string;
  status: string;
}
interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const template = (
  name: string,
  language = 'en_US',
  body?: { type: 'text'; text: string; parameterName?: string }[],
  extra: Record<string, unknown> = {},
) => ({
  type: 'template',
  template: { name, language, ...(body && { body }), ...extra },
});
const ORDER_PARAMS = [
  { type: 'text' as const, text: 'Ada' },
  { type: 'text' as const, text: 'A-1001' },
];
const ORDER_BUTTON = { buttons: [{ index: 0, subType: 'url', value: 'A-1001' }] };

/** Every WhatsApp rule is checked before anything is queued: HTTP 422 with a stable code. */
describe.each(testDialects())('send policy on %s', (dialect) => {
  let t: TestDatabase;
  let stack: SimulatedStack;
  const customer = '447700900601';
  let conversationId: string;
  const db = () => stack.server.runtime.handle.db;
  const post = <T>(path: string, body: unknown, headers: Record<string, string> = {}) =>
    stack.server.api<T>(path, { method: 'POST', body: JSON.stringify(body), headers });
  const direct = <T>(to: string, content: unknown, extra: Record<string, unknown> = {}) =>
    post<T>('/api/v1/messages', { channel: BUSINESS.phoneNumberId, to, content, ...extra });
  const expectViolation = async (response: Promise<{ status: number; body: unknown }>, code: string) => {
    const r = await response;
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect((r.body as ErrorBody).error.code).toBe(code);
    return (r.body as ErrorBody).error;
  };
  const queuedCount = async () =>
    Number(
      (
        await db()
          .selectFrom('outbound_messages')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    stack = await startSimulatedStack(t);
    await stack.sim.customer(customer, 'Ada').sendText('hello');
    conversationId = await eventually(async () => {
      const list = await stack.server.api<{ data: { id: string; endUser: { waId: string } }[] }>(
        '/api/v1/conversations',
      );
      return list.body.data.find((c) => c.endUser.waId === customer)?.id;
    }, 'conversation');
    await eventually(
      async () =>
        (await stack.server.api<{ data: unknown[] }>('/api/v1/templates')).body.data.length >= 3
          ? true
          : undefined,
      'templates',
    );
    await stack.server.api(`/api/v1/channels/${BUSINESS.phoneNumberId}`, {
      method: 'PUT',
      body: JSON.stringify({ throughputMps: 1000 }),
    });
  });
  afterAll(async () => {
    await stack.stop();
    await t.destroy();
  });

  it('refuses free text to a customer who never wrote, saying a template is needed', async () => {
    const before = await queuedCount();
    const error = await expectViolation(
      direct('447700900699', { type: 'text', body: 'hi' }),
      'window_closed',
    );
    expect(error.message).toMatch(/never written/);
    expect(error.message).toMatch(/template/);
    expect(error.details).toMatchObject({ windowClosedAt: null, field: 'content.type' });
    expect(await queuedCount()).toBe(before);
  });

  it('refuses free text after the window closed, saying when it closed', async () => {
    const closedAt = new Date(Date.now() - 3600_000).toISOString();
    await db()
      .updateTable('messaging_sessions')
      .set({ window_ends_at: closedAt })
      .where('id', '=', conversationId)
      .execute();
    try {
      const error = await expectViolation(
        post(`/api/v1/conversations/${conversationId}/messages`, { content: { type: 'text', body: 'late' } }),
        'window_closed',
      );
      expect(error.message).toContain(closedAt);
      expect(error.details?.windowClosedAt).toBe(closedAt);
      // A template is still allowed.
      const ok = await post<Outbound>(`/api/v1/conversations/${conversationId}/messages`, {
        content: template('order_update', 'en_US', ORDER_PARAMS, ORDER_BUTTON),
      });
      expect(ok.status).toBe(202);
    } finally {
      await db()
        .updateTable('messaging_sessions')
        .set({ window_ends_at: new Date(Date.now() + 86_400_000).toISOString() })
        .where('id', '=', conversationId)
        .execute();
    }
  });

  it('checks templates: unknown, other language, not approved, parameter count and format', async () => {
    await expectViolation(direct(customer, template('no_such_template')), 'template_not_found');
    const language = await expectViolation(
      direct(customer, template('order_update', 'pt_BR', ORDER_PARAMS, ORDER_BUTTON)),
      'template_language_not_found',
    );
    expect(JSON.stringify(language.details)).toContain('en_US');
    const paused = await expectViolation(direct(customer, template('paused_promo')), 'template_not_approved');
    expect(paused.details).toMatchObject({ status: 'PAUSED' });
    const count = await expectViolation(
      direct(customer, template('order_update', 'en_US', [ORDER_PARAMS[0]!], ORDER_BUTTON)),
      'template_parameter_count',
    );
    expect(count.details).toBeDefined();
    await expectViolation(
      direct(
        customer,
        template(
          'order_update',
          'en_US',
          [
            { type: 'text', text: 'Ada', parameterName: 'name' },
            { type: 'text', text: 'A-1', parameterName: 'order' },
          ],
          ORDER_BUTTON,
        ),
      ),
      'template_parameter_format',
    );
    await expectViolation(
      direct(
        customer,
        template(
          'order_update',
          'en_US',
          [{ type: 'text', text: 'two\nlines' }, ORDER_PARAMS[1]!],
          ORDER_BUTTON,
        ),
      ),
      'template_parameter_format',
    );
  });

  it('validates Meta’s limits locally, naming the field', async () => {
    const buttons = [1, 2, 3, 4].map((i) => ({ id: `b${i}`, title: `Option ${i}` }));
    const error = await expectViolation(
      direct(customer, { type: 'interactive', interactive: { type: 'button', body: 'Pick one', buttons } }),
      'invalid_message',
    );
    expect(error.details?.field).toBe('content.interactive.buttons');
    const long = await expectViolation(
      direct(customer, { type: 'text', body: 'x'.repeat(4097) }),
      'invalid_message',
    );
    expect(long.details?.field).toBe('content.body');
    const shape = await expectViolation(direct(customer, { type: 'carrier_pigeon' }), 'invalid_message');
    expect(shape.message).toContain('content');
  });

  it('respects a marketing opt-out: no MARKETING template, UTILITY still allowed', async () => {
    const channel = await db()
      .selectFrom('channels')
      .select('id')
      .where('phone_number_id', '=', BUSINESS.phoneNumberId)
      .executeTakeFirstOrThrow();
    await db()
      .insertInto('consent_records')
      .values({
        id: newId(),
        channel_id: channel.id,
        end_user_id: null,
        wa_id: customer,
        status: 'opt_out',
        scope: 'marketing_messages',
        source: 'test',
        detail: null,
        occurred_at: new Date().toISOString(),
        created_at: new Date().toISOString(),
      })
      .execute();
    await expectViolation(direct(customer, template('spring_sale')), 'recipient_opted_out');
    expect(
      (await direct(customer, template('order_update', 'en_US', ORDER_PARAMS, ORDER_BUTTON))).status,
    ).toBe(202);
  });

  it('refuses reactions to messages older than 30 days, and reactions that also reply', async () => {
    const inbound = await db()
      .selectFrom('conversation_entries')
      .selectAll()
      .where('direction', '=', 'inbound')
      .where('session_id', '=', conversationId)
      .executeTakeFirstOrThrow();
    await expectViolation(
      direct(
        customer,
        { type: 'reaction', targetWamid: inbound.wamid, emoji: '👍' },
        { replyToWamid: inbound.wamid },
      ),
      'unsupported_combination',
    );
    await db()
      .updateTable('conversation_entries')
      .set({ occurred_at: new Date(Date.now() - 40 * 86_400_000).toISOString() })
      .where('id', '=', inbound.id)
      .execute();
    await expectViolation(
      direct(customer, { type: 'reaction', targetWamid: inbound.wamid, emoji: '👍' }),
      'reaction_target_too_old',
    );
  });

  it('sends once for a retried request with the same Idempotency-Key, and refuses the key for another body', async () => {
    const body = { content: { type: 'text', body: 'once only' } };
    const first = await post<Outbound>(`/api/v1/conversations/${conversationId}/messages`, body, {
      'idempotency-key': 'key-1',
    });
    const again = await post<Outbound>(`/api/v1/conversations/${conversationId}/messages`, body, {
      'idempotency-key': 'key-1',
    });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await post<ErrorBody>(
      `/api/v1/conversations/${conversationId}/messages`,
      { content: { type: 'text', body: 'different' } },
      { 'idempotency-key': 'key-1' },
    );
    expect(other.status).toBe(409);
    await eventually(
      async () =>
        (await stack.server.api<Outbound>(`/api/v1/outbound/${first.body.id}`)).body.status === 'accepted'
          ? true
          : undefined,
      'accepted',
    );
    expect(
      stack.sim.sentTo(customer).filter((m) => JSON.stringify(m.body).includes('once only')),
    ).toHaveLength(1);
  });

  it('stops business-initiated sends at the messaging tier, except to customers already reached', async () => {
    await stack.server.api(`/api/v1/channels/${BUSINESS.phoneNumberId}`, {
      method: 'PUT',
      body: JSON.stringify({ messagingLimit: 250 }),
    });
    const counted = await db()
      .selectFrom('outbound_messages')
      .select('to_wa_id')
      .distinct()
      .where('business_initiated', '=', 1)
      .execute();
    const room = 250 - counted.length;
    expect(room).toBeGreaterThan(200);
    const send = (to: string) => direct(to, template('order_update', 'en_US', ORDER_PARAMS, ORDER_BUTTON));
    const statuses = await Promise.all(
      Array.from({ length: room }, (_, i) => send(`4477009${10000 + i}`).then((r) => r.status)),
    );
    expect(statuses).toEqual(Array(room).fill(202));
    const refused = await expectViolation(send('447700799999'), 'messaging_tier_limit');
    expect(refused.details).toMatchObject({ limit: 250, used: 250 });
    // A customer already reached in the last 24 h uses no more of the limit.
    expect((await send('447700910000')).status).toBe(202);
  });
});
