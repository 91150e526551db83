import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import { CLI } from './support/process.ts';
import { BUSINESS, eventually, startSimulatedStack, type SimulatedStack } from './support/simulated.ts';

interface Outbound {
  id: string;
  entryId: string;
  status: string;
  lastError: { code: string | number | null; message: string } | null;
}

/** Dead letters, mark-as-read, media upload and template management, against the simulator. */
describe.each(testDialects())('outbound actions on %s', (dialect) => {
  let t: TestDatabase;
  let stack: SimulatedStack;
  let offsetMs = 0;
  const customer = '447700900801';
  const api = <T>(path: string, init?: RequestInit) => stack.server.api<T>(path, init);
  const post = <T>(path: string, body: unknown) =>
    api<T>(path, { method: 'POST', body: JSON.stringify(body) });
  const entry = (id: string) =>
    stack.server.runtime.handle.db
      .selectFrom('conversation_entries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  let conversationId: string;
  let inboundWamid: string;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    // Switchboard's clock can be moved forward (to age messages past 24 h); the simulator's stays real.
    stack = await startSimulatedStack(t, { clock: { now: () => new Date(Date.now() + offsetMs) } });
    inboundWamid = (await stack.sim.customer(customer, 'Lin').sendText('Can you send me the invoice?')).wamid;
    conversationId = await eventually(async () => {
      const list = await api<{ data: { id: string; endUser: { waId: string } }[] }>('/api/v1/conversations');
      return list.body.data.find((c) => c.endUser.waId === customer)?.id;
    }, 'conversation');
  });
  afterAll(async () => {
    await stack.stop();
    await t.destroy();
  });

  it('marks a customer message as read, with the typing indicator', async () => {
    const r = await post<{ ok: boolean }>(`/api/v1/messages/${encodeURIComponent(inboundWamid)}/read`, {
      typingIndicator: true,
    });
    expect(r.status).toBe(200);
    // The customer's phone shows the blue ticks: the simulator recorded the read receipt.
    const thread = stack.sim.thread(customer);
    const item = thread.find((i) => JSON.stringify(i).includes(inboundWamid));
    expect(JSON.stringify(item)).toMatch(/"readAt":"\d{4}-/);
    const missing = await post('/api/v1/messages/wamid.nope/read', {});
    expect(missing.status).toBe(404);
  });

  it('uploads media to Meta (checking type and size first) and sends it by id', async () => {
    const form = new FormData();
    form.set('type', 'document');
    form.set('file', new Blob([Buffer.from('%PDF-1.4 invoice')], { type: 'application/pdf' }), 'invoice.pdf');
    const upload = await fetch(`${stack.server.url}/api/v1/channels/${BUSINESS.phoneNumberId}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await import('./support/server.ts')).TEST_ADMIN_TOKEN}` },
      body: form,
    });
    expect(upload.status).toBe(201);
    const { mediaId } = (await upload.json()) as { mediaId: string };
    const sent = await post<Outbound>(`/api/v1/conversations/${conversationId}/messages`, {
      content: { type: 'document', media: { id: mediaId, filename: 'invoice.pdf', caption: 'Your invoice' } },
    });
    expect(sent.status).toBe(202);
    await eventually(
      async () =>
        ['delivered', 'read'].includes((await entry(sent.body.entryId)).status) ? true : undefined,
      'delivered',
    );

    const bad = new FormData();
    bad.set('type', 'image');
    bad.set('file', new Blob([Buffer.from('MZ')], { type: 'application/x-msdownload' }), 'virus.exe');
    const refused = await fetch(`${stack.server.url}/api/v1/channels/${BUSINESS.phoneNumberId}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await import('./support/server.ts')).TEST_ADMIN_TOKEN}` },
      body: bad,
    });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('media_rejected');
  });

  it('dead-letters a message not sent within 24 hours, lists it with its last error, and retries or discards it', async () => {
    stack.sim.faults.set({ errorRate: 1 });
    const first = (
      await post<Outbound>(`/api/v1/conversations/${conversationId}/messages`, {
        content: { type: 'text', body: 'retry me' },
      })
    ).body;
    const second = (
      await post<Outbound>(`/api/v1/conversations/${conversationId}/messages`, {
        content: { type: 'text', body: 'discard me' },
      })
    ).body;
    await eventually(
      async () => ((await api<Outbound>(`/api/v1/outbound/${first.id}`)).body.lastError ? true : undefined),
      'a failed attempt',
    );
    offsetMs = 25 * 3600 * 1000;
    const dead = await eventually(
      async () => {
        const list = await api<{ data: Outbound[] }>('/api/v1/dead-letters');
        return list.body.data.length === 2 ? list.body.data : undefined;
      },
      'two dead letters',
      30_000,
    );
    expect(dead.every((d) => d.status === 'dead')).toBe(true);
    expect(dead[0]!.lastError).toMatchObject({ code: 'dead_letter' });
    expect(dead[0]!.lastError!.message).toMatch(/24 hours/);
    const failed = await entry(first.entryId);
    expect(failed.status).toBe('failed');

    // The CLI sees the same dead letters.
    const listed = await promisify(execFile)(process.execPath, [CLI, 'dead-letters', 'list'], {
      env: { ...process.env, ...t.env, LOG_LEVEL: 'warn' },
    });
    expect(listed.stdout).toContain(first.id);

    offsetMs = 0;
    stack.sim.faults.set({ errorRate: 0 });
    const retried = await post<Outbound>(`/api/v1/dead-letters/${first.id}/retry`, {});
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('queued');
    await eventually(
      async () => (['delivered', 'read'].includes((await entry(first.entryId)).status) ? true : undefined),
      'the retried message delivered',
    );
    const discarded = await api<Outbound>(`/api/v1/dead-letters/${second.id}`, { method: 'DELETE' });
    expect(discarded.body.status).toBe('discarded');
    expect((await api<{ data: Outbound[] }>('/api/v1/dead-letters')).body.data).toHaveLength(0);
    expect(
      stack.sim.sentTo(customer).filter((m) => JSON.stringify(m.body).includes('discard me')),
    ).toHaveLength(0);
  });

  it('creates a template through Meta, follows its review to APPROVED, previews and deletes it', async () => {
    const created = await post<{ id: string; status: string }>('/api/v1/templates', {
      name: 'appointment_reminder',
      language: 'en_US',
      category: 'UTILITY',
      components: [
        { type: 'BODY', text: 'Hi {{1}}, see you on {{2}}.', example: { body_text: [['Lin', 'Monday']] } },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('PENDING');
    stack.sim.reviewTemplatesNow();
    // The review webhook triggers a sync; the template ends APPROVED with its components.
    const approved = await eventually(async () => {
      const list = await api<{ data: { name: string; status: string; components: unknown[] }[] }>(
        '/api/v1/templates',
      );
      return list.body.data.find((x) => x.name === 'appointment_reminder' && x.status === 'APPROVED');
    }, 'the template approved');
    expect(approved.components).toHaveLength(1);
    const preview = await post<{ text: string }>('/api/v1/templates/preview', {
      content: {
        type: 'template',
        template: {
          name: 'appointment_reminder',
          language: 'en_US',
          body: [
            { type: 'text', text: 'Lin' },
            { type: 'text', text: 'Monday' },
          ],
        },
      },
    });
    expect(preview.body.text).toContain('Hi Lin, see you on Monday.');
    const wrong = await post<{ error: { code: string } }>('/api/v1/templates/preview', {
      content: {
        type: 'template',
        template: { name: 'appointment_reminder', language: 'en_US', body: [{ type: 'text', text: 'Lin' }] },
      },
    });
    expect(wrong.body.error.code).toBe('template_parameter_count');
    const removed = await fetch(`${stack.server.url}/api/v1/templates/appointment_reminder`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${(await import('./support/server.ts')).TEST_ADMIN_TOKEN}` },
    });
    expect(removed.status).toBe(204);
    const after = await api<{ data: { name: string; status: string }[] }>('/api/v1/templates');
    expect(after.body.data.find((x) => x.name === 'appointment_reminder')?.status).toBe('DELETED');
  });
});
