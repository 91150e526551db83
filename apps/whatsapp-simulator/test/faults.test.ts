import { afterEach, describe, expect, it } from 'vitest';
import { harness, messages, type Harness } from './support.ts';

let h: Harness;
afterEach(() => h?.close());

const WA = '15550601001';

describe('fault knobs', () => {
  it('errorRate 1 answers every Graph request 500 / 131000 (transient); 0 turns it off', async () => {
    h = await harness({ faults: { errorRate: 1 } });
    h.sim.customer(WA).sendText('hi');
    const r = await h.send({ to: WA, text: { body: 'x' } });
    expect(r.status).toBe(500);
    expect(r.json.error).toMatchObject({
      code: 131000,
      is_transient: true,
      error_data: { messaging_product: 'whatsapp' },
    });
    h.sim.faults.set({ errorRate: 0 });
    expect((await h.send({ to: WA, text: { body: 'x' } })).status).toBe(200);
  });

  it('timeoutRate 1 leaves the request unanswered until the client gives up', async () => {
    h = await harness();
    expect((await h.admin('PUT', '/faults', { timeoutRate: 1 })).json).toMatchObject({ timeoutRate: 1 });
    await expect(
      fetch(`${h.sim.url}/v23.0/${h.phoneNumberId}`, {
        headers: { authorization: `Bearer ${h.sim.accessToken}` },
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    expect(h.sim.counters().requests.byStatus['timeout']).toBe(1);
    await h.admin('DELETE', '/faults');
    expect((await h.graph('GET', `/v23.0/${h.phoneNumberId}`)).status).toBe(200);
  });

  it('latency is a knob like the others (and requests still succeed)', async () => {
    h = await harness({ faults: { latencyMs: 20 } });
    expect(h.sim.faults.get().latencyMs).toBe(20);
    expect((await h.graph('GET', `/v23.0/${h.phoneNumberId}`)).status).toBe(200);
  });

  it('rejects unknown knobs and out-of-range rates', async () => {
    h = await harness();
    expect((await h.admin('PUT', '/faults', { gremlins: 1 })).status).toBe(400);
    expect((await h.admin('PUT', '/faults', { errorRate: 2 })).status).toBe(400);
    expect(() => h.sim.faults.set({ webhookDropRate: -1 })).toThrow(RangeError);
  });

  it('dropped webhooks never arrive', async () => {
    h = await harness({ faults: { webhookDropRate: 1 } });
    h.sim.customer(WA).sendText('lost');
    await h.sim.idle();
    expect(h.receiver.deliveries).toHaveLength(0);
    expect(h.sim.counters().webhooks).toMatchObject({ dropped: 1, delivered: 0 });
  });

  it('duplicated webhooks arrive twice, byte for byte', async () => {
    h = await harness({ faults: { webhookDuplicateRate: 1 } });
    h.sim.customer(WA).sendText('twice');
    await h.sim.idle();
    expect(h.receiver.deliveries).toHaveLength(2);
    expect(h.receiver.deliveries[0]!.raw.equals(h.receiver.deliveries[1]!.raw)).toBe(true);
    expect(h.sim.counters().webhooks.duplicated).toBe(1);
  });

  it('reordered webhooks arrive after the one behind them', async () => {
    h = await harness({ faults: { webhookReorderRate: 1 }, webhooks: { concurrency: 1 } });
    const c = h.sim.customer(WA);
    c.sendText('first');
    c.sendText('second');
    await h.sim.idle();
    expect(messages(h.receiver.deliveries).map((m) => m.text?.body)).toEqual(['second', 'first']);
    expect(h.sim.counters().webhooks.reordered).toBeGreaterThanOrEqual(1);
  });

  it('expire the token now (admin HTTP) → 401 / 190 / 463 until restored', async () => {
    h = await harness();
    await h.admin('POST', '/token/expire');
    const r = await h.graph('GET', `/v23.0/${h.phoneNumberId}`);
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: 190, error_subcode: 463, type: 'OAuthException' });
    await h.admin('POST', '/token/restore');
    expect((await h.graph('GET', `/v23.0/${h.phoneNumberId}`)).status).toBe(200);
  });
});

describe('counters', () => {
  it('count every request by route and status, every send by type and every delivery by kind', async () => {
    h = await harness();
    h.sim.customer(WA).sendText('hi');
    await h.send({ to: WA, text: { body: 'a' } });
    await h.send({ to: WA, type: 'hologram' });
    await h.sim.idle();
    const c = (await h.admin('GET', '/counters')).json;
    expect(c.requests).toMatchObject({
      total: 2,
      byRoute: { 'POST messages': 2 },
      byStatus: { '200': 1, '400': 1 },
      byErrorCode: { '100': 1 },
    });
    expect(c.sends?.byType).toEqual({ text: 1 });
    expect(c.webhooks).toMatchObject({
      byKind: { message: 1, status: 3 },
      deliveredByKind: { message: 1, status: 3 },
      delivered: 4,
    });
    await h.admin('POST', '/counters/reset');
    expect(h.sim.counters().requests.total).toBe(0);
  });
});
