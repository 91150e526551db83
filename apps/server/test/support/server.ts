import { loadConfig } from '../../src/config/config.ts';
import type { Clock } from '../../src/domain/clock.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { signBody } from '../../src/channels/whatsapp/signature.ts';
import type { TestDatabase } from './databases.ts';

export const TEST_APP_SECRET = 'test-app-secret-0123456789';
export const TEST_VERIFY_TOKEN = 'test-verify-token';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestServer {
  runtime: Runtime;
  url: string;
  /** POSTs a body to the webhook, signed with the test app secret unless a signature is given */
  deliver(body: unknown, options?: { signature?: string | null; raw?: Buffer }): Promise<Response>;
  /** GET on the API with the admin token */
  api<T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
  /** resolves once every stored delivery is applied (or unrouted / failed) and no job is pending */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A real Switchboard (HTTP on 127.0.0.1, port 0, workers on) over a test database. */
export async function startTestServer(
  t: TestDatabase,
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<TestServer> {
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    WHATSAPP_APP_SECRET: TEST_APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
    SWITCHBOARD_API_TOKEN: TEST_ADMIN_TOKEN,
    WORKER_CONCURRENCY: t.dialect === 'postgres' ? '4' : '2',
    ...t.env,
    ...options.env,
  });
  const runtime = await createRuntime(config, { clock: options.clock });
  const url = await runtime.start();
  return {
    runtime,
    url,
    deliver: (body, o = {}) => {
      const raw = o.raw ?? Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (o.signature !== null)
        headers['x-hub-signature-256'] = o.signature ?? signBody(TEST_APP_SECRET, raw);
      return fetch(`${url}/webhooks/whatsapp`, { method: 'POST', headers, body: raw });
    },
    api: async (path, init = {}) => {
      const response = await fetch(`${url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
          ...init.headers,
        },
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as never };
    },
    settled: (timeoutMs = 20_000) => waitUntilSettled(runtime, timeoutMs),
    stop: () => runtime.stop(),
  };
}

export async function waitUntilSettled(runtime: Runtime, timeoutMs: number): Promise<void> {
  const db = runtime.handle.db;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await db
      .selectFrom('webhook_events')
      .select('id')
      .where('status', '=', 'received')
      .limit(1)
      .execute();
    // Work due now; a job scheduled for later (the periodic template sync, a backoff) is not pending.
    const now = new Date().toISOString();
    const jobs = await db
      .selectFrom('jobs')
      .select('id')
      .where((eb) =>
        eb.or([eb('status', '=', 'running'), eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)])]),
      )
      .limit(1)
      .execute();
    if (pending.length === 0 && jobs.length === 0) return;
    if (Date.now() > deadline) throw new Error('pipeline did not settle in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Row counts of every table that the pipeline writes: compare before/after to prove "nothing changed". */
const countedTables = [
  'end_users',
  'contacts',
  'leads',
  'cases',
  'messaging_sessions',
  'conversation_entries',
  'message_statuses',
  'media',
  'templates',
  'consent_records',
  'business_events',
] as const;

export async function tableCounts(runtime: Runtime): Promise<Record<(typeof countedTables)[number], number>> {
  const counts = {} as Record<(typeof countedTables)[number], number>;
  for (const table of countedTables) {
    const row = await runtime.handle.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

export const CHANNEL = {
  phoneNumberId: '106540352242922',
  wabaId: '102290129340398',
  displayPhoneNumber: '15550783881',
};

/** Meta's webhook envelope around one `messages` change value. */
export function messagesDelivery(
  value: Record<string, unknown>,
  phoneNumberId: string = CHANNEL.phoneNumberId,
) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: CHANNEL.wabaId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: CHANNEL.displayPhoneNumber, phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/** A Meta-shaped text message delivery, for tests that need many distinct ones. */
export function textDelivery(o: {
  wamid: string;
  from: string;
  body?: string;
  name?: string;
  timestamp?: number;
  phoneNumberId?: string;
}) {
  return messagesDelivery(
    {
      contacts: [{ profile: { name: o.name ?? 'Test Customer' }, wa_id: o.from }],
      messages: [
        {
          from: o.from,
          id: o.wamid,
          timestamp: String(o.timestamp ?? Math.floor(Date.now() / 1000)),
          type: 'text',
          text: { body: o.body ?? 'hello' },
        } as Record<string, unknown>,
      ],
    },
    o.phoneNumberId,
  );
}

export function statusDelivery(o: {
  wamid: string;
  status: string;
  recipient: string;
  timestamp: number;
  errors?: unknown[];
}) {
  return messagesDelivery({
    statuses: [
      {
        id: o.wamid,
        status: o.status,
        timestamp: String(o.timestamp),
        recipient_id: o.recipient,
        ...(o.errors && { errors: o.errors }),
        pricing: { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' },
      },
    ],
  });
}
