import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startSimulator,
  type OutboundMessage as SimulatorRecord,
  type WhatsAppSimulator,
} from '@switchboard/whatsapp-simulator';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.ts';
import { freePort, spawnSwitchboard, waitForExit, type ServerProcess } from '../support/process.ts';
import { TEST_ADMIN_TOKEN, TEST_APP_SECRET } from '../support/server.ts';
import { BUSINESS, SIM_TOKEN, TEST_TEMPLATES } from '../support/simulated.ts';

const MESSAGES = 2000;
const RECIPIENTS = 500;
/** customers who write first: they also get free-form text replies inside their window */
const WROTE_FIRST = 100;
const TEXT_REPLIES_EACH = 2;
/** the channel's configured throughput, and what the simulator allows during the 130429 storm */
const CHANNEL_MPS = 250;
const STORM_MPS = 100;
const CALM_MPS = 1000;
/** the faults stop once the simulator has accepted this many messages */
const FAULTS_UNTIL = 1300;
const STORM = {
  errorRate: 0.1,
  timeoutRate: 0.05,
  webhookReorderRate: 0.3,
  webhookDuplicateRate: 0.1,
};
/** sends Meta accepted whose answer never reaches Switchboard (the connection drops) */
const LOST_ANSWER_RATE = 0.03;

interface Outcome {
  status: string;
  wamid: string | null;
  lastError: string | null;
  entryStatus: string;
  entryError: string | null;
}

const waId = (i: number) => `4477009${String(i).padStart(5, '0')}`;

/**
 * Issue 4, §6: 2,000 messages to 500 recipients while the simulator answers 5xx, times out, throttles
 * (130429: its per-number throughput below the channel's), accepts messages whose answer then never
 * arrives (the connection drops: Meta sent it, Switchboard cannot know), and reorders and duplicates
 * status webhooks. Then the faults stop and everything must settle: each message delivered or read
 * and sent once as far as the simulator saw, or dead-lettered with a reason; every accepted request
 * accounted for. Switchboard is a child process (`switchboard start`), as in production: it does not
 * share an event loop with the simulator, so a timeout is the simulator's doing, not the test's (in
 * one process, sends reached the simulator seconds after the client had given up on them).
 */
describe.each(testDialects())('outbound under faults on %s', (dialect) => {
  let t: TestDatabase;
  let sim: WhatsAppSimulator;
  let proxy: AnswerLosingProxy;
  let server: ServerProcess;
  const db = () => t.handle.db;
  const api = async <T>(path: string, init: RequestInit = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    sim = await startSimulator({
      appSecret: TEST_APP_SECRET,
      accessToken: SIM_TOKEN,
      businesses: [{ ...BUSINESS, tier: 'unlimited', throughputMps: CALM_MPS }],
      templates: TEST_TEMPLATES,
      statuses: { delaysMs: { sent: 0, delivered: 5, read: 10 }, autoRead: true },
      webhooks: { retryDelaysMs: [0, 50, 200, 500, 1000, 2000, 5000] },
      random: seeded(4),
    });
    proxy = await startAnswerLosingProxy(sim.url, seeded(6));
    server = await spawnSwitchboard(
      {
        ...t.env,
        WHATSAPP_APP_SECRET: TEST_APP_SECRET,
        WHATSAPP_GRAPH_URL: proxy.url,
        WHATSAPP_ACCESS_TOKEN: SIM_TOKEN,
        WHATSAPP_PHONE_NUMBER_ID: BUSINESS.phoneNumberId,
        WHATSAPP_WABA_ID: BUSINESS.wabaId,
        SWITCHBOARD_API_TOKEN: TEST_ADMIN_TOKEN,
        // short, so that timeouts and unknown outcomes resolve within the test
        WHATSAPP_TIMEOUT_MS: '300',
        OUTBOUND_RECONCILE_SECONDS: '5',
      },
      await freePort(),
    );
    sim.setWebhookUrl(`${server.url}/webhooks/whatsapp`);
    const channel = await api(`/api/v1/channels/${BUSINESS.phoneNumberId}`, {
      method: 'PUT',
      body: JSON.stringify({ messagingLimit: null, throughputMps: CHANNEL_MPS }),
    });
    expect(channel.status).toBe(200);
    for (let i = 0; i < WROTE_FIRST; i += 1) sim.customer(waId(i)).sendText(`question ${i}`);
    await sim.idle();
    await poll('the customers who wrote first and the template sync', async () => {
      const wrote = await db()
        .selectFrom('end_users')
        .select('id')
        .where('last_inbound_at', 'is not', null)
        .execute();
      const templates = await api<{ data: { name: string; status: string }[] }>('/api/v1/templates');
      return (
        wrote.length === WROTE_FIRST &&
        templates.body.data.some((t) => t.name === 'order_update' && t.status === 'APPROVED')
      );
    });
  }, 60_000);
  afterAll(async () => {
    if (server) {
      server.child.kill('SIGTERM');
      await waitForExit(server.child);
    }
    await proxy?.close();
    await sim?.close();
    await t?.destroy();
  });

  it(
    'ends every message delivered or dead-lettered, sends none twice, loses none',
    { timeout: 240_000 },
    async () => {
      const setSimulatorThroughput = (mps: number) => {
        sim.businesses[0]!.throughputMps = mps;
        sim.core.rules.reset();
      };
      const accepted = () => sim.core.store.outbound.size;

      // The faults follow the simulator's progress, not the clock: a slower machine sees the same run.
      setSimulatorThroughput(STORM_MPS);
      sim.faults.set(STORM);
      proxy.loseAnswers(LOST_ANSWER_RATE);
      const phases = (async () => {
        await poll(`the simulator to accept ${FAULTS_UNTIL} messages`, () => accepted() >= FAULTS_UNTIL);
        proxy.loseAnswers(0);
        sim.faults.reset();
        setSimulatorThroughput(CALM_MPS);
      })();
      phases.catch(() => undefined); // awaited below; no unhandled rejection if a step fails first

      // 2,000 requests: text replies to the customers who wrote, approved templates to everyone.
      const requests = Array.from({ length: MESSAGES }, (_, i) => {
        const text = i < WROTE_FIRST * TEXT_REPLIES_EACH;
        const content = text
          ? { type: 'text', body: `Reply ${i}: your order is on its way.` }
          : {
              type: 'template',
              template: {
                name: 'order_update',
                language: 'en_US',
                body: [
                  { type: 'text', text: `Customer ${i % RECIPIENTS}` },
                  { type: 'text', text: `A-${i}` },
                ],
                buttons: [{ index: 0, subType: 'url', value: `A-${i}` }],
              },
            };
        return { channel: BUSINESS.phoneNumberId, to: waId(i % (text ? WROTE_FIRST : RECIPIENTS)), content };
      });
      // interleaved deterministically, so text replies and templates mix
      const order = requests.map((_, i) => (i * 7919) % MESSAGES);
      const ids: string[] = [];
      const refused: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < order.length) {
            const request = requests[order[next++]!]!;
            const sent = await api<{ id: string }>('/api/v1/messages', {
              method: 'POST',
              body: JSON.stringify(request),
            });
            if (sent.status === 202) ids.push(sent.body.id);
            else refused.push(`${sent.status} ${JSON.stringify(sent.body)}`);
          }
        }),
      );
      expect(refused).toEqual([]);
      expect(new Set(ids).size).toBe(MESSAGES);
      await phases;

      // Everything settles once the faults are off (bounded wait), then the outcomes are judged.
      const outcomes = await settle(db, ids, () => JSON.stringify(sim.counters().webhooks));
      const counters = sim.counters();

      // The faults really happened.
      expect(counters.requests.byStatus['500'] ?? 0).toBeGreaterThan(0);
      expect(counters.requests.byStatus['timeout'] ?? 0).toBeGreaterThan(0);
      expect(counters.requests.byErrorCode['130429'] ?? 0).toBeGreaterThan(0);
      expect(counters.webhooks.reordered).toBeGreaterThan(0);
      expect(counters.webhooks.duplicated).toBeGreaterThan(0);
      // Meta accepted these but Switchboard never heard: only their status webhooks (which carry
      // our biz_opaque_callback_data) could tell the sender that they went out.
      expect(proxy.lostAnswers()).toBeGreaterThan(0);

      // Nothing lost: every 202 has its outbound message, with an outcome, and no job is left.
      expect(outcomes.size).toBe(MESSAGES);
      const left = await db().selectFrom('jobs').select('id').where('queue', '=', 'outbound').execute();
      expect(left).toEqual([]);

      // The simulator saw no message twice, and nothing Switchboard did not queue.
      const byOutbound = new Map<string, SimulatorRecord[]>();
      for (const record of sim.core.store.outbound.values()) {
        const callback = String(record.body['biz_opaque_callback_data']);
        byOutbound.set(callback, [...(byOutbound.get(callback) ?? []), record]);
      }
      const twice = [...byOutbound].filter(([, records]) => records.length > 1).map(([id]) => id);
      expect(twice).toEqual([]);
      expect([...byOutbound.keys()].filter((id) => !outcomes.has(id))).toEqual([]);

      // Each message ends delivered or read (the one send the simulator has), or dead with a reason.
      const wrong: string[] = [];
      for (const [id, o] of outcomes) {
        const records = byOutbound.get(id) ?? [];
        if (o.status === 'accepted') {
          if (!['delivered', 'read'].includes(o.entryStatus)) wrong.push(`${id}: entry ${o.entryStatus}`);
          if (records.length !== 1 || records[0]!.wamid !== o.wamid)
            wrong.push(`${id}: wamid ${o.wamid}, simulator ${records.map((r) => r.wamid).join(', ')}`);
        } else if (o.status === 'dead') {
          const reason = o.lastError ? (JSON.parse(o.lastError) as { message?: string }).message : undefined;
          if (!reason) wrong.push(`${id}: dead letter without a reason`);
          if (o.entryStatus !== 'failed' || !o.entryError) wrong.push(`${id}: dead, entry ${o.entryStatus}`);
        } else {
          wrong.push(`${id}: ${o.status} ${o.lastError ?? ''}`);
        }
      }
      expect(wrong).toEqual([]);
    },
  );
});

/** Polls until the condition holds; gives up after two minutes (and the test fails). */
async function poll(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits (at most two minutes) until every message is final: accepted and delivered or read,
 * failed, or dead. Returns each one's outcome by outbound id.
 */
async function settle(
  db: () => TestDatabase['handle']['db'],
  ids: string[],
  webhookCounters: () => string,
): Promise<Map<string, Outcome>> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const rows = await db()
      .selectFrom('outbound_messages as o')
      .innerJoin('conversation_entries as e', 'e.id', 'o.entry_id')
      .select([
        'o.id',
        'o.status',
        'o.wamid',
        'o.last_error',
        'e.status as entry_status',
        'e.error as entry_error',
      ])
      .where('o.id', 'in', ids)
      .execute();
    const outcomes = new Map<string, Outcome>(
      rows.map((r) => [
        r.id,
        {
          status: r.status,
          wamid: r.wamid,
          lastError: r.last_error,
          entryStatus: r.entry_status,
          entryError: r.entry_error,
        },
      ]),
    );
    const open = [...outcomes.values()].filter(
      (o) =>
        !(
          (o.status === 'accepted' && ['delivered', 'read'].includes(o.entryStatus)) ||
          o.status === 'failed' ||
          o.status === 'dead'
        ),
    );
    if (open.length === 0 && outcomes.size === ids.length) return outcomes;
    if (Date.now() > deadline) {
      const sample = open.slice(0, 5).map((o) => JSON.stringify(o));
      throw new Error(
        `${open.length} messages never settled, e.g.\n${sample.join('\n')}\nwebhooks: ${webhookCounters()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A small seeded PRNG (mulberry32), so the fault rolls are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface AnswerLosingProxy {
  url: string;
  /** from now on, drop the connection instead of answering this share of accepted sends */
  loseAnswers(rate: number): void;
  /** sends the simulator accepted whose answer was dropped */
  lostAnswers(): number;
  close(): Promise<void>;
}

/**
 * A pass-through to the simulator's Graph API that can drop the answer to a send the simulator
 * accepted: the message went out, the client sees a broken connection and cannot know.
 */
async function startAnswerLosingProxy(target: string, random: () => number): Promise<AnswerLosingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  let rate = 0;
  let lost = 0;
  const server = http.createServer((req, res) => {
    const isSend = req.method === 'POST' && /\/messages$/.test(req.url ?? '');
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          if (isSend && (answer.statusCode ?? 500) < 300 && rate > 0 && random() < rate) {
            lost += 1;
            res.destroy();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    forward.on('error', () => res.destroy());
    // the simulator's timeout fault never answers: give up when our client does
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    loseAnswers: (r) => {
      rate = r;
    },
    lostAnswers: () => lost,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
