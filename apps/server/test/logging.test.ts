import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createRuntime, type Runtime } from '../src/runtime.ts';
import { signBody } from '../src/channels/whatsapp/signature.ts';
import { upsertChannel } from '../src/storage/repositories/channels.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import {
  CHANNEL,
  TEST_ADMIN_TOKEN,
  TEST_APP_SECRET,
  TEST_VERIFY_TOKEN,
  textDelivery,
  waitUntilSettled,
} from './support/server.ts';

/** Customer text, tokens and secrets never reach the logs, even at debug level and on errors. */
describe('log hygiene', () => {
  let t: TestDatabase;
  let runtime: Runtime;
  let url: string;
  const lines: string[] = [];
  beforeAll(async () => {
    t = await createTestDatabase('sqlite');
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const config = loadConfig({
      PORT: '0',
      WHATSAPP_APP_SECRET: TEST_APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
      SWITCHBOARD_API_TOKEN: TEST_ADMIN_TOKEN,
      WHATSAPP_ACCESS_TOKEN: 'EAAG-secret-graph-token',
      ...t.env,
    });
    runtime = await createRuntime(config, { logger: createLogger('debug', sink) });
    url = await runtime.start();
    await upsertChannel(runtime.handle.db, CHANNEL, new Date());
  });
  afterAll(async () => {
    await runtime.stop();
    await t.destroy();
  });

  it('logs neither message text nor tokens', async () => {
    const secretText = 'my card number is 4111 1111 1111 1111';
    const body = JSON.stringify(
      textDelivery({ wamid: 'wamid.log-1', from: '15550001111', body: secretText }),
    );
    await fetch(`${url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(TEST_APP_SECRET, body) },
      body,
    });
    await fetch(`${url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' },
      body,
    });
    await fetch(
      `${url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${TEST_VERIFY_TOKEN}&hub.challenge=42`,
    );
    await fetch(`${url}/api/v1/conversations`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    await fetch(`${url}/api/v1/conversations`, { headers: { authorization: 'Bearer sb_wrong_token_value' } });
    // An unrouted delivery is logged (as a warning) — by id, without its content.
    const unrouted = JSON.stringify(
      textDelivery({ wamid: 'wamid.log-2', from: '15550001111', body: secretText, phoneNumberId: '77' }),
    );
    await fetch(`${url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signBody(TEST_APP_SECRET, unrouted),
      },
      body: unrouted,
    });
    await waitUntilSettled(runtime, 10_000);

    const all = lines.join('');
    expect(all).toContain('unrouted'); // the sink really received the pipeline's log lines
    for (const secret of [
      secretText,
      // fragments of it, in case a log shortens the text (a bare '4111' matched a pino timestamp once)
      'card number',
      '4111 1111',
      TEST_APP_SECRET,
      TEST_ADMIN_TOKEN,
      TEST_VERIFY_TOKEN,
      'EAAG-secret-graph-token',
      'sb_wrong_token_value',
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});
