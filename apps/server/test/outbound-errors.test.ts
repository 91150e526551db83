import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLossyProxy, type LossyProxy } from './fakes/lossy-proxy.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import {
  BUSINESS,
  eventually,
  SIM_TOKEN,
  startSimulatedStack,
  type SimulatedStack,
} from './support/simulated.ts';

interface Outbound {
  id: string;
  entryId: string;
  status: string;
  wamid: string | null;
  attempts: number;
  lastError: { code: number | string | null; message: string } | null;
}

const ORDER = {
  type: 'template',
  template: {
    name: 'order_update',
    language: 'en_US',
    body: [
      { type: 'text', text: 'Ada' },
      { type: 'text', text: 'A-1' },
    ],
    buttons: [{ index: 0, subType: 'url', value: 'A-1' }],
  },
};

/** Graph failures sorted by error code into retry, credentials and permanent, against the simulator. */
describe.each(testDialects())('send failures on %s', (dialect) => {
  let t: TestDatabase;
  let stack: SimulatedStack;
  let proxy: LossyProxy;
  const db = () => stack.server.runtime.handle.db;
  const send = (to: string, content: unknown) =>
    stack.server.api<Outbound>('/api/v1/messages', {
      method: 'POST',
      body: JSON.stringify({ channel: BUSINESS.phoneNumberId, to, content }),
    });
  const outbound = async (id: string) => (await stack.server.api<Outbound>(`/api/v1/outbound/${id}`)).body;
  const entry = (id: string) =>
    db().selectFrom('conversation_entries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const entryReaches = (id: string, statuses: string[]) =>
    eventually(
      async () => {
        const e = await entry(id);
        return statuses.includes(e.status) ? e : undefined;
      },
      `entry ${id} to reach ${statuses.join('/')}`,
      30_000,
    );
  const sentBodies = (to: string, needle: string) =>
    stack.sim.sentTo(to).filter((m) => JSON.stringify(m.body).includes(needle));

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    // A proxy that can lose answers sits between Switchboard and the simulator.
    stack = await startSimulatedStack(t, {
      simulator: { pairRate: { burst: 2, intervalMs: 2_000 } },
      env: { WHATSAPP_TIMEOUT_MS: '1000', OUTBOUND_RECONCILE_SECONDS: '2' },
      graphUrl: async (simulatorUrl) => {
        proxy = await startLossyProxy(simulatorUrl);
        return proxy.url;
      },
    });
    await stack.server.runtime.handle.db.updateTable('channels').set({ messaging_limit: null }).execute();
    await eventually(
      async () =>
        (await stack.server.api<{ data: unknown[] }>('/api/v1/templates')).body.data.length >= 3
          ? true
          : undefined,
      'templates',
    );
  });
  afterAll(async () => {
    await stack.stop();
    await proxy.close();
    await t.destroy();
  });

  it('retries a Graph outage (HTTP 500, code 131000) and delivers once it is over', async () => {
    stack.sim.faults.set({ errorRate: 1 });
    const sent = await send('447700900701', ORDER);
    expect(sent.status).toBe(202);
    const failing = await eventually(async () => {
      const o = await outbound(sent.body.id);
      return o.attempts >= 1 && o.lastError ? o : undefined;
    }, 'a failed attempt');
    expect(failing.status).toBe('queued');
    expect(failing.lastError?.code).toBe(131000);
    stack.sim.faults.set({ errorRate: 0 });
    await entryReaches(sent.body.entryId, ['delivered', 'read']);
    expect((await outbound(sent.body.id)).attempts).toBeGreaterThanOrEqual(2);
    expect(sentBodies('447700900701', 'order_update')).toHaveLength(1);
  });

  it('retries the pair rate limit (131056) after 4^n seconds, sending each message once', async () => {
    const to = '447700900702';
    const ids: Outbound[] = [];
    for (const n of [1, 2, 3])
      ids.push(
        (
          await send(to, {
            ...ORDER,
            template: {
              ...ORDER.template,
              body: [
                { type: 'text', text: `n${n}` },
                { type: 'text', text: 'A-1' },
              ],
            },
          })
        ).body,
      );
    await eventually(
      async () => {
        const all = await Promise.all(ids.map((o) => outbound(o.id)));
        return all.every((o) => o.status === 'accepted') ? all : undefined;
      },
      'all three accepted',
      30_000,
    );
    const counters = stack.sim.counters();
    expect(JSON.stringify(counters)).toContain('131056');
    for (const n of [1, 2, 3]) expect(sentBodies(to, `"n${n}"`)).toHaveLength(1);
  });

  it('marks a message failed with a readable reason on a permanent error (132001 template missing at Meta)', async () => {
    // Meta deleted the template; our copy has not synced yet.
    const deleted = await fetch(
      `${stack.sim.url}/v23.0/${BUSINESS.wabaId}/message_templates?name=spring_sale`,
      { method: 'DELETE', headers: { authorization: `Bearer ${SIM_TOKEN}` } },
    );
    expect(deleted.status).toBe(200);
    const sent = await send('447700900703', {
      type: 'template',
      template: { name: 'spring_sale', language: 'en_US' },
    });
    expect(sent.status).toBe(202);
    const failed = await entryReaches(sent.body.entryId, ['failed']);
    const error = JSON.parse(failed.error!) as { code: number; message: string };
    expect(error.code).toBe(132001);
    expect(error.message).toMatch(/template/i);
    expect((await outbound(sent.body.id)).status).toBe('failed');
  });

  it('records a failure Meta reports by status webhook (131026: not a WhatsApp user)', async () => {
    stack.sim.setNotOnWhatsApp('447700900704');
    const sent = await send('447700900704', ORDER);
    const failed = await entryReaches(sent.body.entryId, ['failed']);
    expect(JSON.parse(failed.error!)).toMatchObject({ code: 131026 });
  });

  it('holds a channel whose token was rejected (190), shows it, and resumes when credentials are fixed', async () => {
    stack.sim.expireToken();
    const sent = await send('447700900705', ORDER);
    await eventually(async () => {
      const channels = await stack.server.api<{ data: { phoneNumberId: string; status: string }[] }>(
        '/api/v1/channels',
      );
      return channels.body.data.find(
        (c) => c.phoneNumberId === BUSINESS.phoneNumberId && c.status === 'needs_credentials',
      );
    }, 'the channel to need credentials');
    expect(await (await fetch(`${stack.server.url}/metrics`)).text()).toMatch(
      /switchboard_channels_needing_credentials 1/,
    );
    expect((await entry(sent.body.entryId)).status).toBe('queued');

    stack.sim.restoreToken();
    const fixed = await stack.server.api(`/api/v1/channels/${BUSINESS.phoneNumberId}/credentials`, {
      method: 'PUT',
      body: JSON.stringify({ accessToken: SIM_TOKEN }),
    });
    expect(fixed.status).toBe(200);
    await entryReaches(sent.body.entryId, ['delivered', 'read']);
    const channels = await stack.server.api<{
      data: { phoneNumberId: string; status: string; hasOwnAccessToken: boolean }[];
    }>('/api/v1/channels');
    expect(channels.body.data.find((c) => c.phoneNumberId === BUSINESS.phoneNumberId)).toMatchObject({
      status: 'active',
      hasOwnAccessToken: true,
    });
    expect(JSON.stringify(channels.body)).not.toContain(SIM_TOKEN);
  });

  it('does not send twice when Meta took the message but its answer was lost: it reconciles by biz_opaque_callback_data', async () => {
    const to = '447700900706';
    proxy.loseAnswers(1, /\/messages$/);
    const sent = await send(to, ORDER);
    await entryReaches(sent.body.entryId, ['delivered', 'read']);
    expect(proxy.lost).toBe(1);
    const o = await outbound(sent.body.id);
    expect(o.status).toBe('accepted');
    // The wamid came from the status webhook that carried our callback data, not from a second send.
    expect(sentBodies(to, 'order_update')).toHaveLength(1);
    expect(o.wamid).toBe(stack.sim.sentTo(to)[0]!.wamid);
  });

  it('sends again when the request never reached Meta (timeout) and no status arrives within the grace', async () => {
    const to = '447700900707';
    stack.sim.faults.set({ timeoutRate: 1 });
    const sent = await send(to, ORDER);
    await eventually(
      async () => ((await outbound(sent.body.id)).attempts >= 1 ? true : undefined),
      'a timed-out attempt',
    );
    stack.sim.faults.set({ timeoutRate: 0 });
    await entryReaches(sent.body.entryId, ['delivered', 'read']);
    expect(sentBodies(to, 'order_update')).toHaveLength(1);
  });
});
