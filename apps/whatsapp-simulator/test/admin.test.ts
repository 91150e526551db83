import { afterEach, describe, expect, it } from 'vitest';
import { envFromArgv, simulatorOptionsFromEnv } from '../src/index.ts';
import { harness, messages, type Harness } from './support.ts';

let h: Harness;
afterEach(() => h?.close());

describe('admin API (/_simulator)', () => {
  it('a customer sends over HTTP; the thread shows both sides with ticks and tappable options', async () => {
    h = await harness({ statuses: { delaysMs: { sent: 0, delivered: 0, read: 0 }, autoRead: false } });
    const WA = '15550701001';
    expect((await h.admin('POST', '/customers', { waId: WA, profileName: 'Ada' })).status).toBe(200);
    const sent = await h.admin('POST', `/customers/${WA}/messages`, { type: 'text', text: 'hello' });
    expect(sent.json.id).toEqual(expect.stringMatching(/^wamid\./));
    const r = await h.send({
      to: WA,
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: '<b>Pick</b>' },
        action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'A' } }] },
      },
    });
    const wamid = String(r.json.messages?.[0]?.id);
    await h.sim.idle();
    const thread = await h.admin('GET', `/customers/${WA}/thread`);
    expect(thread.json).toMatchObject({ waId: WA, profileName: 'Ada', windowOpen: true });
    expect(thread.json.items?.[0]).toMatchObject({ direction: 'inbound', text: 'hello' });
    expect(thread.json.items?.[1]).toMatchObject({
      direction: 'outbound',
      wamid,
      status: 'delivered',
      text: '<b>Pick</b>',
      options: [{ kind: 'button', id: 'a', title: 'A' }],
    });
    await h.admin('POST', `/customers/${WA}/messages`, {
      type: 'interactive_reply',
      messageId: wamid,
      optionId: 'a',
    });
    await h.admin('POST', `/customers/${WA}/read`, {});
    const d = await h.receiver.waitFor((ds) => messages(ds).some((m) => String(m.type) === 'interactive'));
    expect(messages(d).find((m) => String(m.type) === 'interactive')?.interactive?.button_reply).toEqual({
      id: 'a',
      title: 'A',
    });
    expect(h.sim.sentTo(WA)[0]?.status).toBe('read');
  });

  it('rejects bad customer actions with a plain 400', async () => {
    h = await harness();
    expect((await h.admin('POST', '/customers/15550701002/messages', { type: 'telepathy' })).status).toBe(
      400,
    );
    expect((await h.admin('POST', '/customers/abc/messages', { type: 'text', text: 'x' })).status).toBe(400);
    const r = await h.admin('POST', '/customers/15550701002/messages', {
      type: 'interactive_reply',
      messageId: 'wamid.x',
      optionId: 'a',
    });
    expect(r.status).toBe(400);
    expect(String(r.json.error?.message)).toMatch(/sent no message/);
  });

  it('advancing the clock over HTTP closes the window', async () => {
    h = await harness();
    const WA = '15550701003';
    await h.admin('POST', `/customers/${WA}/messages`, { type: 'text', text: 'hi' });
    expect((await h.admin('GET', '/customers')).json[0]?.windowOpen).toBe(true);
    await h.admin('POST', '/clock/advance', { ms: 24 * 60 * 60_000 });
    expect((await h.admin('GET', '/customers')).json[0]?.windowOpen).toBe(false);
  });

  it('sets the webhook URL and the not-on-WhatsApp set at run time', async () => {
    h = await harness();
    expect((await h.admin('PUT', '/webhook', { url: null })).json).toEqual({ url: null });
    h.sim.customer('15550701004').sendText('unheard');
    expect(h.sim.counters().webhooks.noUrl).toBe(1);
    expect((await h.admin('PUT', '/not-on-whatsapp', { waId: '15550701005' })).status).toBe(200);
    expect(h.sim.core.store.notOnWhatsApp.has('15550701005')).toBe(true);
  });
});

describe('customer phone page', () => {
  it('serves plain HTML and a script that never writes data as HTML', async () => {
    h = await harness();
    for (const path of ['/', '/phone']) {
      const res = await fetch(`${h.sim.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      expect(await res.text()).toMatch(/<script src="\/phone.js"><\/script>/);
    }
    const js = await (await fetch(`${h.sim.url}/phone.js`)).text();
    expect(js).toMatch(/textContent/);
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect((await fetch(`${h.sim.url}/phone.css`)).status).toBe(200);
  });

  it('streams thread changes as server-sent events', async () => {
    h = await harness();
    const controller = new AbortController();
    const res = await fetch(`${h.sim.url}/_simulator/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    h.sim.customer('15550701006').sendText('ping');
    let text = '';
    while (!text.includes('15550701006')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/event: change\ndata: \{"waId":"15550701006"\}/);
    controller.abort();
  });
});

describe('standalone configuration', () => {
  it("reads Switchboard's WHATSAPP_* names and SIMULATOR_* ones", () => {
    const o = simulatorOptionsFromEnv({
      WHATSAPP_ACCESS_TOKEN: 'tok',
      WHATSAPP_APP_SECRET: 'sec',
      WHATSAPP_PHONE_NUMBER_ID: '111',
      WHATSAPP_WABA_ID: '222',
      PORT: '3100',
      SIMULATOR_PORT: '0',
      SIMULATOR_TIER: 'unlimited',
      SIMULATOR_TEMPLATE_REVIEW: 'REJECTED',
    });
    expect(o).toMatchObject({
      port: 0,
      accessTokens: ['tok'],
      appSecret: 'sec',
      webhookUrl: 'http://127.0.0.1:3100/webhooks/whatsapp',
      tier: 'unlimited',
      templateReview: { outcome: 'REJECTED' },
    });
    expect(o.businesses?.[0]).toMatchObject({ phoneNumberId: '111', wabaId: '222' });
    expect(() => simulatorOptionsFromEnv({ SIMULATOR_PORT: 'eighty' })).toThrow(/SIMULATOR_PORT/);
  });

  it('turns argv flags into the same settings', () => {
    expect(envFromArgv(['--port', '4011', '--webhook-url=http://127.0.0.1:3000/webhooks/whatsapp'])).toEqual({
      SIMULATOR_PORT: '4011',
      SIMULATOR_WEBHOOK_URL: 'http://127.0.0.1:3000/webhooks/whatsapp',
    });
    expect(() => envFromArgv(['--nope', '1'])).toThrow(/unknown option/);
  });
});
