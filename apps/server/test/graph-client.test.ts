import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_BUSINESS,
  startSimulator,
  type SimulatorOptions,
  type TemplateSeed,
  type WhatsAppSimulator,
} from '@switchboard/whatsapp-simulator';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphClient, parseGraphTemplate } from '../src/channels/whatsapp/graph-client.ts';
import { classifySendFailure, GraphApiError } from '../src/channels/whatsapp/graph-error.ts';
import { GraphMediaClient } from '../src/channels/whatsapp/media-client.ts';

const API_VERSION = 'v23.0';
/** distinctive, so a leak into any error text is easy to spot */
const TOKEN = 'EAAGsecret-token-0123456789abcdef';
/** a 1×1 PNG */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

interface Setup {
  sim: WhatsAppSimulator;
  client: GraphClient;
  phone: string;
  waba: string;
}

const running: { close(): Promise<void> }[] = [];
const errors: GraphApiError[] = [];

/** A fresh simulator per test (rate limits and templates are per instance), no webhooks. */
async function setup(options: SimulatorOptions = {}, timeoutMs?: number): Promise<Setup> {
  const sim = await startSimulator({
    port: 0,
    accessToken: TOKEN,
    webhookUrl: null,
    statuses: { emit: false },
    templateReview: { outcome: 'APPROVED', delayMs: 60_000 },
    ...options,
  });
  running.push(sim);
  const business = sim.businesses[0] as { phoneNumberId: string; wabaId: string };
  const client = new GraphClient({
    graphUrl: sim.url,
    apiVersion: API_VERSION,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  return { sim, client, phone: business.phoneNumberId, waba: business.wabaId };
}

/** Runs a call expected to fail; answers its GraphApiError (and keeps it for the token check). */
async function failure(call: Promise<unknown>): Promise<GraphApiError> {
  const error = await call.then(
    () => expect.fail('the call should have failed'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphApiError);
  errors.push(error as GraphApiError);
  return error as GraphApiError;
}

const text = (to: string, body: string) => ({
  recipient_type: 'individual',
  to,
  type: 'text',
  text: { body },
});
const template = (to: string, name: string, components: unknown[] = []) => ({
  to,
  type: 'template',
  template: { name, language: { code: 'en_US' }, components },
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  // No error may carry the token, in any form a log could print.
  for (const e of errors.splice(0)) {
    for (const printed of [
      e.message,
      String(e),
      e.stack ?? '',
      JSON.stringify(e),
      e.details ?? '',
      e.title ?? '',
    ]) {
      expect(printed).not.toContain(TOKEN);
    }
  }
});

describe('GraphClient: messages', () => {
  it('sends a text and answers the wamid', async () => {
    const { sim, client, phone } = await setup();
    sim.customer('15551230001', 'Ada').sendText('hello');
    const sent = await client.sendMessage(phone, TOKEN, text('15551230001', 'Hi Ada *bold*'));
    expect(sent.wamid).toMatch(/^wamid\./);
    expect(sent).toMatchObject({ waId: '15551230001', messageStatus: null });
    expect(sim.sentTo('15551230001').map((m) => [m.wamid, m.type])).toEqual([[sent.wamid, 'text']]);
  });

  it('sends a template; Meta answers message_status accepted', async () => {
    const { sim, client, phone } = await setup();
    const sent = await client.sendMessage(phone, TOKEN, template('15551230002', 'hello_world'));
    expect(sent).toMatchObject({ waId: '15551230002', messageStatus: 'accepted' });
    expect(sim.sentTo('15551230002').map((m) => m.type)).toEqual(['template']);
  });

  it('marks an inbound message read, with the typing indicator', async () => {
    const { sim, client, phone } = await setup();
    const inbound = sim.customer('15551230003').sendText('anyone there?');
    await client.markRead(phone, TOKEN, inbound.wamid, true);
    expect(sim.core.store.inbound.get(inbound.wamid)?.readAt).toBeInstanceOf(Date);
  });

  it('uploads media that can then be downloaded and sent by id', async () => {
    const { sim, client, phone } = await setup();
    const { id } = await client.uploadMedia(phone, TOKEN, {
      bytes: PNG,
      mimeType: 'image/png',
      fileName: 'dot.png',
    });
    expect(id).toMatch(/^\d+$/);
    const media = new GraphMediaClient({ graphUrl: sim.url, apiVersion: API_VERSION });
    const downloaded = await media.download(id, TOKEN, async (body, meta) => {
      const parts: Uint8Array[] = [];
      for await (const part of body) parts.push(part);
      return { bytes: Buffer.concat(parts), mimeType: meta.mimeType };
    });
    expect(downloaded).toEqual({ bytes: PNG, mimeType: 'image/png' });
    sim.customer('15551230004').sendText('send the picture');
    const sent = await client.sendMessage(phone, TOKEN, { to: '15551230004', type: 'image', image: { id } });
    expect(sent.wamid).toMatch(/^wamid\./);
  });
});

describe('GraphClient: templates', () => {
  it('lists every template across pages, asking for the fields it stores', async () => {
    const seeds: TemplateSeed[] = Array.from({ length: 230 }, (_, i) => ({
      name: `template_${String(i).padStart(3, '0')}`,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: i === 7 ? 'Hi {{first_name}}' : 'Order {{1}} is ready' }],
    }));
    const { sim, waba } = await setup({ templates: seeds });
    const urls: URL[] = [];
    const client = new GraphClient({
      graphUrl: sim.url,
      apiVersion: API_VERSION,
      fetch: (input, init) => {
        urls.push(new URL(String(input)));
        return globalThis.fetch(input, init);
      },
    });
    const templates = await client.listTemplates(waba, TOKEN);
    expect(templates.map((t) => t.name)).toEqual(seeds.map((s) => s.name));
    expect(urls).toHaveLength(3);
    expect(urls.map((u) => u.searchParams.has('after'))).toEqual([false, true, true]);
    for (const url of urls) {
      expect(url.searchParams.get('fields')).toBe(
        'id,name,language,status,category,components,parameter_format,quality_score,rejected_reason',
      );
      expect(url.searchParams.has('access_token')).toBe(false);
    }
    expect(templates[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      name: 'template_000',
      language: 'en_US',
      status: 'APPROVED',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Order {{1}} is ready' }],
      parameterFormat: 'positional',
      qualityScore: null,
      rejectedReason: null,
    });
    expect(templates[7]?.parameterFormat).toBe('named');
  });

  it('creates a template (PENDING), sees it APPROVED after review, deletes it', async () => {
    const { sim, client, waba } = await setup();
    const created = await client.createTemplate(waba, TOKEN, {
      name: 'order_ready',
      language: 'en_US',
      category: 'UTILITY',
      parameterFormat: 'named',
      components: [
        {
          type: 'BODY',
          text: 'Hi {{first_name}}, your order is ready.',
          example: { body_text_named_params: [{ param_name: 'first_name', example: 'Ada' }] },
        },
      ],
    });
    expect(created).toEqual({ id: expect.stringMatching(/^\d+$/), status: 'PENDING', category: 'UTILITY' });
    const find = async () => (await client.listTemplates(waba, TOKEN)).find((t) => t.name === 'order_ready');
    expect(await find()).toMatchObject({ id: created.id, status: 'PENDING', parameterFormat: 'named' });

    sim.reviewTemplatesNow();
    expect(await find()).toMatchObject({ id: created.id, status: 'APPROVED' });

    await client.deleteTemplate(waba, TOKEN, 'order_ready', created.id);
    expect(await find()).toBeUndefined();
  });

  it("refuses a duplicate template with Meta's own words (permanent)", async () => {
    const { client, waba } = await setup();
    const input = {
      name: 'hello_world',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello' }],
    };
    const error = await failure(client.createTemplate(waba, TOKEN, input));
    expect(error).toMatchObject({
      httpStatus: 400,
      code: 100,
      subcode: 2388024,
      failureClass: 'permanent',
      title: 'Content in this language already exists',
      details: 'There is already en_US content for this template. Create a new template and try again.',
    });
    expect(classifySendFailure(error).reason).toBe(
      'Meta rejected a parameter of the request as invalid. (Meta: There is already en_US content for this template. Create a new template and try again.)',
    );
  });

  it("maps Meta's quality score and rejection reason", () => {
    const raw = {
      id: '1',
      name: 'promo',
      language: 'en_US',
      status: 'REJECTED',
      category: 'MARKETING',
      components: [],
      parameter_format: 'POSITIONAL',
      quality_score: { score: 'YELLOW', date: 1_700_000_000 },
      rejected_reason: 'INVALID_FORMAT',
    };
    expect(parseGraphTemplate(raw)).toMatchObject({
      qualityScore: 'YELLOW',
      rejectedReason: 'INVALID_FORMAT',
    });
    expect(parseGraphTemplate({ ...raw, quality_score: 'GREEN', rejected_reason: 'NONE' })).toMatchObject({
      qualityScore: 'GREEN',
      rejectedReason: null,
    });
    expect(parseGraphTemplate({ name: 'no_id', language: 'en_US' })).toBeNull();
  });
});

describe('GraphClient: every failure class', () => {
  it('expired token → credentials (190)', async () => {
    const { sim, client, phone, waba } = await setup();
    sim.expireToken();
    const error = await failure(client.sendMessage(phone, TOKEN, template('15551230010', 'hello_world')));
    expect(error).toMatchObject({
      httpStatus: 401,
      code: 190,
      subcode: 463,
      failureClass: 'credentials',
      outcomeUnknown: false,
    });
    expect(error.message).toContain('Session has expired');
    expect(classifySendFailure(error).class).toBe('credentials');
    const listing = await failure(client.listTemplates(waba, TOKEN));
    expect(listing).toMatchObject({ code: 190, failureClass: 'credentials' });
  });

  it('throughput storm → 130429, retry with backoff', async () => {
    const { client, phone } = await setup({ businesses: [{ ...DEFAULT_BUSINESS, throughputMps: 1 }] });
    await client.sendMessage(phone, TOKEN, template('15551230011', 'hello_world'));
    const error = await failure(client.sendMessage(phone, TOKEN, template('15551230012', 'hello_world')));
    expect(error).toMatchObject({
      httpStatus: 400,
      code: 130429,
      failureClass: 'retry',
      outcomeUnknown: false,
    });
    const classified = classifySendFailure(error);
    expect(classified.retryAfterMs?.(1)).toBeGreaterThanOrEqual(500);
    expect(classified.retryAfterMs?.(1)).toBeLessThanOrEqual(1_000);
  });

  it('pair rate → 131056, retry after 4^n seconds', async () => {
    const { client, phone } = await setup({ pairRate: { burst: 1, intervalMs: 60_000 } });
    await client.sendMessage(phone, TOKEN, template('15551230013', 'hello_world'));
    const error = await failure(client.sendMessage(phone, TOKEN, template('15551230013', 'hello_world')));
    expect(error).toMatchObject({ httpStatus: 400, code: 131056, failureClass: 'retry' });
    const { retryAfterMs } = classifySendFailure(error);
    expect([1, 2, 3].map((n) => retryAfterMs?.(n))).toEqual([4_000, 16_000, 64_000]);
  });

  it('template missing → 132001, permanent', async () => {
    const { client, phone } = await setup();
    const error = await failure(
      client.sendMessage(phone, TOKEN, template('15551230014', 'no_such_template')),
    );
    expect(error).toMatchObject({ httpStatus: 404, code: 132001, failureClass: 'permanent' });
    expect(error.details).toBe('template name (no_such_template) does not exist in en_US');
    expect(classifySendFailure(error).reason).toBe(
      'The template does not exist in this language, or it is not approved. (Meta: template name (no_such_template) does not exist in en_US)',
    );
  });

  it('wrong parameter count → 132000, permanent', async () => {
    const { sim, client, phone } = await setup();
    sim.addTemplate({
      name: 'order_update',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Order {{1}} ships on {{2}}' }],
    });
    const body = [{ type: 'body', parameters: [{ type: 'text', text: 'A-17' }] }];
    const error = await failure(
      client.sendMessage(phone, TOKEN, template('15551230015', 'order_update', body)),
    );
    expect(error).toMatchObject({ httpStatus: 400, code: 132000, failureClass: 'permanent' });
    expect(error.details).toContain('(1) does not match the expected number of params (2)');
  });

  it('an unknown wamid to mark read → 100, permanent', async () => {
    const { client, phone } = await setup();
    const error = await failure(client.markRead(phone, TOKEN, 'wamid.unknown', false));
    expect(error).toMatchObject({ httpStatus: 400, code: 100, failureClass: 'permanent' });
  });

  it('5xx fault → 131000, retry; Meta said no, so the outcome is known', async () => {
    const { sim, client, phone } = await setup();
    sim.faults.set({ errorRate: 1 });
    const error = await failure(client.sendMessage(phone, TOKEN, template('15551230016', 'hello_world')));
    expect(error).toMatchObject({
      httpStatus: 500,
      code: 131000,
      failureClass: 'retry',
      timedOut: false,
      outcomeUnknown: false,
    });
  });

  it('timeout → retry, and a send may have happened (outcome unknown)', async () => {
    const { sim, client, phone, waba } = await setup({}, 200);
    sim.faults.set({ timeoutRate: 1 });
    const started = Date.now();
    const error = await failure(client.sendMessage(phone, TOKEN, template('15551230017', 'hello_world')));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({
      httpStatus: null,
      timedOut: true,
      connectionError: false,
      outcomeUnknown: true,
      failureClass: 'retry',
    });
    expect(error.message).toBe(`Graph API: send from phone number ${phone} timed out after 200 ms`);
    // a read has no effect at Meta: safe to repeat
    const listing = await failure(client.listTemplates(waba, TOKEN));
    expect(listing).toMatchObject({ timedOut: true, outcomeUnknown: false, failureClass: 'retry' });
  });

  it('connection refused → retry, and Meta never saw the request', async () => {
    const port = await closedPort();
    const client = new GraphClient({ graphUrl: `http://127.0.0.1:${port}`, apiVersion: API_VERSION });
    const error = await failure(client.sendMessage('100', TOKEN, template('15551230018', 'hello_world')));
    expect(error).toMatchObject({
      httpStatus: null,
      timedOut: false,
      connectionError: true,
      outcomeUnknown: false,
      failureClass: 'retry',
    });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('redacts the token even when a server echoes it back', async () => {
    const url = await startFakeGraph((req, res) => {
      const echoed = req.headers.authorization ?? '';
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: {
            message: `(#100) Invalid parameter ${echoed}`,
            type: 'OAuthException',
            code: 100,
            error_data: { messaging_product: 'whatsapp', details: `token was ${echoed}` },
            fbtrace_id: 'Aecho',
          },
        }),
      );
    });
    const client = new GraphClient({ graphUrl: url, apiVersion: API_VERSION });
    const error = await failure(client.sendMessage('100', TOKEN, text('15551230019', 'hi')));
    expect(error.details).toBe('token was Bearer [redacted]');
    expect(error.message).toContain('[redacted]');
  });

  it('a 2xx without a wamid → retry, but the send may have happened (outcome unknown)', async () => {
    const url = await startFakeGraph((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"messaging_product":"whatsapp"');
    });
    const client = new GraphClient({ graphUrl: url, apiVersion: API_VERSION });
    const error = await failure(client.sendMessage('100', TOKEN, text('15551230020', 'hi')));
    expect(error).toMatchObject({ httpStatus: 200, outcomeUnknown: true, failureClass: 'retry' });
  });

  it('a connection reset after the request was sent → retry, outcome unknown', async () => {
    const url = await startFakeGraph((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    const client = new GraphClient({ graphUrl: url, apiVersion: API_VERSION });
    const error = await failure(client.sendMessage('100', TOKEN, text('15551230021', 'hi')));
    expect(error).toMatchObject({
      httpStatus: null,
      connectionError: true,
      outcomeUnknown: true,
      failureClass: 'retry',
    });
  });

  it('stops on paging that never ends', async () => {
    const url = await startFakeGraph((_req, res) => {
      const page = { data: [], paging: { cursors: { before: 'QQ', after: 'QQ' }, next: '?after=QQ' } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
    });
    const client = new GraphClient({ graphUrl: url, apiVersion: API_VERSION });
    const error = await failure(client.listTemplates('200', TOKEN));
    expect(error.message).toBe(
      'Graph API: template list of WABA 200 answered HTTP 200 with paging that does not end',
    );
  });
});

/** A tiny stand-in for Graph where the simulator cannot misbehave the way a test needs. */
async function startFakeGraph(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on: bind one, then let it go. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
