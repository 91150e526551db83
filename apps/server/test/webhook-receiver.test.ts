import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { signBody } from '../src/channels/whatsapp/signature.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import {
  startTestServer,
  TEST_APP_SECRET,
  TEST_VERIFY_TOKEN,
  textDelivery,
  type TestServer,
} from './support/server.ts';

describe.each(testDialects())('webhook receiver on %s', (dialect) => {
  let t: TestDatabase;
  let server: TestServer;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    server = await startTestServer(t);
  });
  afterAll(async () => {
    await server.stop();
    await t.destroy();
  });

  const storedCount = async () =>
    Number(
      (
        await t.handle.db
          .selectFrom('webhook_events')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('answers Meta’s verification handshake with the challenge, and refuses a wrong token', async () => {
    const ok = await fetch(
      `${server.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${TEST_VERIFY_TOKEN}&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const wrong = await fetch(
      `${server.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`,
    );
    expect(wrong.status).toBe(403);
    const noMode = await fetch(
      `${server.url}/webhooks/whatsapp?hub.verify_token=${TEST_VERIFY_TOKEN}&hub.challenge=1`,
    );
    expect(noMode.status).toBe(400);
  });

  it('stores a signed delivery and acknowledges it with 200 only once it is committed', async () => {
    const before = await storedCount();
    const body = Buffer.from(
      JSON.stringify(textDelivery({ wamid: 'wamid.receiver-1', from: '15551230001' })),
    );
    const response = await server.deliver(null, { raw: body });
    expect(response.status).toBe(200);
    // The row is there the moment the 200 arrives: the ack waited for the commit.
    const row = await t.handle.db
      .selectFrom('webhook_events')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(await storedCount()).toBe(before + 1);
    expect(Buffer.compare(Buffer.from(row.body), body)).toBe(0);
    expect(row.signature).toBe(signBody(TEST_APP_SECRET, body));
  });

  it.each([
    ['unsigned', { signature: null }, 401, 'invalid_signature'],
    ['signed with another secret', { signature: signBody('someone-else', '{}') }, 401, 'invalid_signature'],
    ['a malformed signature header', { signature: 'sha256=not-hex' }, 401, 'invalid_signature'],
  ] as const)('refuses a delivery that is %s, storing nothing', async (_name, options, status, code) => {
    const before = await storedCount();
    const response = await server.deliver(
      textDelivery({ wamid: 'wamid.refused', from: '15551230002' }),
      options,
    );
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    expect(await storedCount()).toBe(before);
  });

  it('refuses a tampered body (signature of the original bytes), storing nothing', async () => {
    const before = await storedCount();
    const original = Buffer.from(
      JSON.stringify(textDelivery({ wamid: 'wamid.t', from: '15551230003', body: 'pay 10' })),
    );
    const tampered = Buffer.from(original.toString().replace('pay 10', 'pay 99'));
    const response = await server.deliver(null, {
      raw: tampered,
      signature: signBody(TEST_APP_SECRET, original),
    });
    expect(response.status).toBe(401);
    expect(await storedCount()).toBe(before);
  });

  it('refuses a signed body that is not JSON with 400, storing nothing', async () => {
    const before = await storedCount();
    for (const raw of ['{"object":"whatsapp_business_account",', 'not json', '[1,2]', '']) {
      const response = await server.deliver(null, { raw: Buffer.from(raw) });
      expect(response.status, raw).toBe(400);
    }
    expect(await storedCount()).toBe(before);
  });

  it('refuses a body above 3 MB with 413, storing nothing', async () => {
    const before = await storedCount();
    const big = Buffer.from(
      JSON.stringify({ object: 'whatsapp_business_account', pad: 'x'.repeat(3 * 1024 * 1024) }),
    );
    const response = await server.deliver(null, { raw: big });
    expect(response.status).toBe(413);
    expect(await storedCount()).toBe(before);
  });

  // The row and its inbound job are stored together or not at all: a refused job leaves no row.
  it.each(['webhook_events', 'jobs'])(
    'answers 500 when the delivery cannot be stored (%s refused), so that Meta delivers it again',
    async (table) => {
      const before = await storedCount();
      // The database refuses every new row, as a full disk or a failing volume would.
      if (dialect === 'sqlite') {
        await sql`create trigger refuse_rows before insert on ${sql.table(table)}
          begin select raise(abort, 'refused by test'); end`.execute(t.handle.db);
      } else {
        await sql`create function refuse_rows() returns trigger language plpgsql as
          $$ begin raise exception 'refused by test'; end $$`.execute(t.handle.db);
        await sql`create trigger refuse_rows before insert on ${sql.table(table)}
          for each row execute function refuse_rows()`.execute(t.handle.db);
      }
      const delivery = textDelivery({ wamid: `wamid.refused-by-db-${table}`, from: '15551230009' });
      try {
        const refused = await server.deliver(delivery);
        expect(refused.status).toBe(500);
        expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('internal');
        expect(await storedCount()).toBe(before);
      } finally {
        await sql`drop trigger refuse_rows${sql.raw(dialect === 'sqlite' ? '' : ` on ${table}`)}`.execute(
          t.handle.db,
        );
        if (dialect !== 'sqlite') await sql`drop function refuse_rows()`.execute(t.handle.db);
      }
      // Meta's retry of the same delivery is then stored and acknowledged.
      expect((await server.deliver(delivery)).status).toBe(200);
      expect(await storedCount()).toBe(before + 1);
    },
  );

  it('acknowledges concurrent deliveries with shared commits, each stored once', async () => {
    const before = await storedCount();
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        server.deliver(
          textDelivery({ wamid: `wamid.group-${i}`, from: `1555999${String(i).padStart(4, '0')}` }),
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(60).fill(200));
    expect(await storedCount()).toBe(before + 60);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_webhook_deliveries_total\{result="accepted"\} \d+/);
    expect(metrics).toMatch(/switchboard_webhook_ack_seconds_bucket/);
    expect(metrics).toMatch(/switchboard_queue_depth/);
  });

  it('serves health and readiness', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
