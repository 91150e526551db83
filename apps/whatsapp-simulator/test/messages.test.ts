import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness, type Loose } from './support.ts';

const CUSTOMER = '15550101001';
let h: Harness;

beforeAll(async () => {
  h = await harness({
    templates: [
      {
        name: 'order_update',
        language: 'en_US',
        category: 'UTILITY',
        components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} is on its way.' }],
      },
      {
        name: 'named_greeting',
        language: 'en',
        category: 'MARKETING',
        parameter_format: 'NAMED',
        components: [{ type: 'BODY', text: 'Hello {{first_name}}, use code {{code}}.' }],
      },
    ],
  });
  h.sim.customer(CUSTOMER, 'Ada').sendText('hello'); // opens the service window
});
afterAll(() => h.close());

function expectAccepted(r: Awaited<ReturnType<Harness['send']>>, input = CUSTOMER) {
  expect(r.status).toBe(200);
  expect(r.json.messaging_product).toBe('whatsapp');
  expect(r.json.contacts).toEqual([{ input, wa_id: input.replace(/\D/g, '') }]);
  expect(String(r.json.messages?.[0]?.id)).toMatch(/^wamid\./);
}

function expectGraphError(r: Awaited<ReturnType<Harness['send']>>, status: number, code: number) {
  expect(r.status).toBe(status);
  expect(r.json.error?.code).toBe(code);
  expect(r.json.error?.type).toBe('OAuthException');
  expect(String(r.json.error?.message)).toMatch(new RegExp(`^\\(#${code}\\) `));
  expect(r.json.error?.error_data?.messaging_product).toBe('whatsapp');
  expect(typeof r.json.error?.error_data?.details).toBe('string');
  expect(typeof r.json.error?.fbtrace_id).toBe('string');
}

const button = (id: string, title: string) => ({ type: 'reply', reply: { id, title } });
const rows = (n: number, title = 'Row') =>
  Array.from({ length: n }, (_, i) => ({ id: `r${i}`, title: `${title} ${i}` }));

describe('POST /{phone-number-id}/messages: every type Meta documents', () => {
  it.each([
    ['text with preview_url', { type: 'text', text: { body: 'see https://example.com', preview_url: true } }],
    ['image by link', { type: 'image', image: { link: 'https://example.com/a.jpg', caption: 'look' } }],
    ['audio by link', { type: 'audio', audio: { link: 'https://example.com/a.ogg' } }],
    ['video by link', { type: 'video', video: { link: 'https://example.com/a.mp4' } }],
    [
      'document by link',
      { type: 'document', document: { link: 'https://example.com/a.pdf', filename: 'a.pdf' } },
    ],
    ['sticker by link', { type: 'sticker', sticker: { link: 'https://example.com/a.webp' } }],
    ['location', { type: 'location', location: { latitude: 52.37, longitude: 4.89, name: 'Dam' } }],
    [
      'contacts',
      {
        type: 'contacts',
        contacts: [{ name: { formatted_name: 'Grace Hopper' }, phones: [{ phone: '+1 555' }] }],
      },
    ],
    [
      'interactive button',
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Pick one' },
          action: { buttons: [button('y', 'Yes'), button('n', 'No'), button('m', 'Maybe')] },
        },
      },
    ],
    [
      'interactive list',
      {
        type: 'interactive',
        interactive: {
          type: 'list',
          header: { type: 'text', text: 'Menu' },
          body: { text: 'Choose' },
          footer: { text: 'Thanks' },
          action: {
            button: 'Options',
            sections: [
              { title: 'A', rows: rows(5) },
              { title: 'B', rows: rows(5, 'Other').map((r) => ({ ...r, id: `b${r.id}` })) },
            ],
          },
        },
      },
    ],
    [
      'interactive cta_url',
      {
        type: 'interactive',
        interactive: {
          type: 'cta_url',
          body: { text: 'Track it' },
          action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'https://example.com' } },
        },
      },
    ],
  ])('%s → 200 with a wamid', async (_name, body) => {
    expectAccepted(await h.send({ recipient_type: 'individual', to: CUSTOMER, ...body }));
  });

  it('accepts "+" and punctuation in `to` and answers with the input and the wa_id', async () => {
    expectAccepted(
      await h.send({ to: '+1 (555) 010-1001', type: 'text', text: { body: 'hi' } }),
      '+1 (555) 010-1001',
    );
  });

  it('sends media by uploaded id', async () => {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', 'image/png');
    form.set('file', new Blob([Buffer.from('png-bytes')], { type: 'image/png' }), 'a.png');
    const up = await fetch(`${h.sim.url}/v23.0/${h.phoneNumberId}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.sim.accessToken}` },
      body: form,
    });
    const { id } = (await up.json()) as { id: string };
    expectAccepted(await h.send({ to: CUSTOMER, type: 'image', image: { id } }));
  });

  it('sends templates, positional and named, with message_status accepted', async () => {
    const positional = await h.send({
      to: CUSTOMER,
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ada' },
              { type: 'text', text: '#42' },
            ],
          },
        ],
      },
    });
    expectAccepted(positional);
    expect(positional.json.messages?.[0]?.message_status).toBe('accepted');
    const named = await h.send({
      to: CUSTOMER,
      type: 'template',
      template: {
        name: 'named_greeting',
        language: { code: 'en' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', parameter_name: 'first_name', text: 'Ada' },
              { type: 'text', parameter_name: 'code', text: 'WELCOME' },
            ],
          },
        ],
      },
    });
    expectAccepted(named);
  });

  it('sends reactions and context replies to a customer message', async () => {
    const inbound = h.sim.customer(CUSTOMER).sendText('a question');
    expectAccepted(
      await h.send({ to: CUSTOMER, type: 'reaction', reaction: { message_id: inbound.wamid, emoji: '👍' } }),
    );
    const reply = await h.send({
      to: CUSTOMER,
      type: 'text',
      context: { message_id: inbound.wamid },
      text: { body: 'an answer' },
    });
    expectAccepted(reply);
    const sent = h.sim.sentTo(CUSTOMER).find((m) => m.wamid === String(reply.json.messages?.[0]?.id));
    expect(sent?.body['context']).toEqual({ message_id: inbound.wamid });
  });

  it('marks a customer message read (with a typing indicator) → {success: true}', async () => {
    const inbound = h.sim.customer(CUSTOMER).sendText('are you there?');
    const r = await h.send({ status: 'read', message_id: inbound.wamid, typing_indicator: { type: 'text' } });
    expect(r).toEqual({ status: 200, json: { success: true } });
    expect(
      h.sim.thread(CUSTOMER).find((i) => i.wamid === inbound.wamid && i.direction === 'inbound'),
    ).toMatchObject({
      readAt: expect.any(Date),
    });
    const unknown = await h.send({ status: 'read', message_id: 'wamid.nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error?.code).toBe(100);
  });
});

describe('validation answers as Meta does', () => {
  it.each([
    [
      'no messaging_product',
      { messaging_product: undefined, to: CUSTOMER, type: 'text', text: { body: 'x' } },
      400,
      100,
    ],
    [
      'wrong messaging_product',
      { messaging_product: 'sms', to: CUSTOMER, type: 'text', text: { body: 'x' } },
      400,
      100,
    ],
    ['unknown type', { to: CUSTOMER, type: 'hologram', hologram: {} }, 400, 100],
    ['no text body', { to: CUSTOMER, type: 'text', text: {} }, 400, 131008],
    ['text over 4096', { to: CUSTOMER, type: 'text', text: { body: 'x'.repeat(4097) } }, 400, 100],
    ['bad recipient', { to: 'not-a-number', type: 'text', text: { body: 'x' } }, 400, 131009],
    ['media without id or link', { to: CUSTOMER, type: 'image', image: {} }, 400, 131008],
    [
      'caption on audio',
      { to: CUSTOMER, type: 'audio', audio: { link: 'https://e.x/a.ogg', caption: 'no' } },
      400,
      131009,
    ],
    [
      'reaction without message_id',
      { to: CUSTOMER, type: 'reaction', reaction: { emoji: '👍' } },
      400,
      131008,
    ],
    [
      'template without language',
      { to: CUSTOMER, type: 'template', template: { name: 'hello_world' } },
      400,
      131008,
    ],
  ])('%s → %i / %i', async (_name, body, status, code) => {
    const r = await h.send(body);
    expect(r.status).toBe(status);
    expect(r.json.error?.code).toBe(code);
    expect(String(r.json.error?.message)).toMatch(new RegExp(`^\\(#${code}\\) `));
  });

  const interactive = (i: Record<string, unknown>) => ({ to: CUSTOMER, type: 'interactive', interactive: i });
  it.each([
    [
      '4 reply buttons',
      {
        type: 'button',
        body: { text: 'x' },
        action: { buttons: ['a', 'b', 'c', 'd'].map((i) => button(i, i)) },
      },
    ],
    [
      'button title over 20',
      { type: 'button', body: { text: 'x' }, action: { buttons: [button('a', 'x'.repeat(21))] } },
    ],
    [
      'duplicate button ids',
      { type: 'button', body: { text: 'x' }, action: { buttons: [button('a', 'A'), button('a', 'B')] } },
    ],
    [
      'body over 1024',
      { type: 'button', body: { text: 'x'.repeat(1025) }, action: { buttons: [button('a', 'A')] } },
    ],
    [
      'header over 60',
      {
        type: 'button',
        header: { type: 'text', text: 'x'.repeat(61) },
        body: { text: 'x' },
        action: { buttons: [button('a', 'A')] },
      },
    ],
    [
      'footer over 60',
      {
        type: 'button',
        footer: { text: 'x'.repeat(61) },
        body: { text: 'x' },
        action: { buttons: [button('a', 'A')] },
      },
    ],
    [
      '11 list rows',
      {
        type: 'list',
        body: { text: 'x' },
        action: { button: 'Go', sections: [{ title: 'S', rows: rows(11) }] },
      },
    ],
    [
      '11 sections',
      {
        type: 'list',
        body: { text: 'x' },
        action: {
          button: 'Go',
          sections: Array.from({ length: 11 }, (_, i) => ({
            title: `S${i}`,
            rows: [{ id: `r${i}`, title: 't' }],
          })),
        },
      },
    ],
    [
      'row title over 24',
      {
        type: 'list',
        body: { text: 'x' },
        action: { button: 'Go', sections: [{ rows: [{ id: 'a', title: 'x'.repeat(25) }] }] },
      },
    ],
    [
      'row description over 72',
      {
        type: 'list',
        body: { text: 'x' },
        action: {
          button: 'Go',
          sections: [{ rows: [{ id: 'a', title: 't', description: 'x'.repeat(73) }] }],
        },
      },
    ],
    [
      'list button over 20',
      {
        type: 'list',
        body: { text: 'x' },
        action: { button: 'x'.repeat(21), sections: [{ rows: rows(1) }] },
      },
    ],
    [
      'cta_url display_text over 20',
      {
        type: 'cta_url',
        body: { text: 'x' },
        action: { name: 'cta_url', parameters: { display_text: 'x'.repeat(21), url: 'https://e.x' } },
      },
    ],
  ])('interactive: %s → 400 / 131009', async (_name, i) => {
    expectGraphError(await h.send(interactive(i)), 400, 131009);
  });

  it("malformed JSON and unknown paths answer in Graph's envelope", async () => {
    const res = await fetch(`${h.sim.url}/v23.0/${h.phoneNumberId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.sim.accessToken}`, 'content-type': 'application/json' },
      body: '{"messaging_product": "whatsapp",',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Loose).error?.code).toBe(100);
    const unknown = await h.graph('GET', `/v23.0/${h.phoneNumberId}/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error?.code).toBe(2500);
  });

  it('unknown business number → Graph 100 / subcode 33', async () => {
    const r = await h.graph('POST', '/v23.0/999999/messages', {
      messaging_product: 'whatsapp',
      to: CUSTOMER,
      text: { body: 'x' },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
  });

  it('accepts any vNN.N prefix and refuses anything else', async () => {
    const ok = await h.graph('POST', `/v99.9/${h.phoneNumberId}/messages`, {
      messaging_product: 'whatsapp',
      to: CUSTOMER,
      text: { body: 'x' },
    });
    expect(ok.status).toBe(200);
    const bad = await h.graph('POST', `/latest/${h.phoneNumberId}/messages`, {
      messaging_product: 'whatsapp',
      to: CUSTOMER,
      text: { body: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error?.code).toBe(2500);
  });

  it('bad, missing and expired tokens → 401 / 190', async () => {
    const body = { messaging_product: 'whatsapp', to: CUSTOMER, text: { body: 'x' } };
    const bad = await h.graph('POST', `/v23.0/${h.phoneNumberId}/messages`, body, 'wrong');
    expect(bad.status).toBe(401);
    expect(bad.json.error).toMatchObject({ code: 190, type: 'OAuthException' });
    const missing = await h.graph('POST', `/v23.0/${h.phoneNumberId}/messages`, body, null);
    expect(missing.status).toBe(401);
    expect(missing.json.error?.code).toBe(190);
    h.sim.expireToken();
    const expired = await h.graph('POST', `/v23.0/${h.phoneNumberId}/messages`, body);
    h.sim.restoreToken();
    expect(expired.status).toBe(401);
    expect(expired.json.error).toMatchObject({ code: 190, error_subcode: 463 });
    expect(String(expired.json.error?.message)).toMatch(/Session has expired/);
    expect((await h.graph('POST', `/v23.0/${h.phoneNumberId}/messages`, body)).status).toBe(200);
  });

  it('the access token may also come as ?access_token=', async () => {
    const res = await fetch(`${h.sim.url}/v23.0/${h.phoneNumberId}?access_token=${h.sim.accessToken}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: h.phoneNumberId, verified_name: expect.any(String) });
  });
});
