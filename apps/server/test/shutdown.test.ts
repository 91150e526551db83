import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../src/channels/whatsapp/signature.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import { startTestServer, TEST_APP_SECRET, textDelivery } from './support/server.ts';

/**
 * Meta (like the simulator) keeps its webhook connections alive. A stop that begins while one of its
 * deliveries is being received must answer it and then close that connection, not wait for the
 * client to drop it (Fastify's keep-alive timeout is 72 s).
 */
describe.each(testDialects())('shutdown on %s', (dialect) => {
  let t: TestDatabase | undefined;
  afterEach(async () => t?.destroy());

  it('answers a delivery in progress and stops without waiting on the keep-alive connection', async () => {
    t = await createTestDatabase(dialect);
    const server = await startTestServer(t);
    const body = Buffer.from(
      JSON.stringify(textDelivery({ wamid: 'wamid.shutdown-1', from: '447700900551' })),
    );
    const agent = new http.Agent({ keepAlive: true });
    const url = new URL(`${server.url}/webhooks/whatsapp`);
    let status = 0;
    const answered = new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'x-hub-signature-256': signBody(TEST_APP_SECRET, body),
          },
        },
        (res) => {
          status = res.statusCode ?? 0;
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      // Half the body now, so the request is in progress when the stop begins; the rest after.
      req.write(body.subarray(0, 40));
      setTimeout(() => req.end(body.subarray(40)), 200);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));

    const stopStarted = Date.now();
    const stopped = server.stop();
    await answered;
    expect(status).toBe(200);
    await stopped;
    expect(Date.now() - stopStarted).toBeLessThan(5_000);
    agent.destroy();
  });
});
