/**
 * Outbound throughput: 10,000 template messages to 10,000 recipients through the WhatsApp simulator,
 * once per configured channel limit (80, then 1,000 messages/s). Loopback only, bounded, stops by
 * itself. Prints a table and one JSON line. Run: npm run bench:outbound
 *
 * The simulator runs in this process with its per-number throughput set to the channel's limit, so
 * it answers 130429 as soon as Switchboard sends faster than it should. Switchboard runs as real
 * child processes (`node apps/server/bin/switchboard.js start`, SQLite in a temp DATA_DIR, default
 * SQLITE_SYNCHRONOUS=FULL) in the scale-out layout the README describes, on one data directory:
 *   1. set-up node: PUT /api/v1/channels/{id} {throughputMps: limit, messagingLimit: null}, template sync;
 *   2. web node (WORKERS=false): the campaign POSTs its 10,000 sends, one after the other (measures the
 *      send API: p50/p99 of POST /api/v1/messages, client-side);
 *   3. worker node (WORKERS=true): drains the queue at the channel's limit (measures the send rate
 *      from the simulator's receive timestamps).
 * Queue first, then send: on two cores one process cannot take 1,000 POSTs/s and send 1,000
 * messages/s at once, and the rate would then measure the API, not the sender's pacing.
 *
 * Per limit: ratio = achieved rate / limit, achieved = (n − 1) / (last − first receive) (target
 * 0.97–1.00); the busiest 1-second window; 130429 answers (target 0); messages sent twice (must be
 * 0); the send API's p99 (target < 20 ms).
 *
 * Knobs: BENCH_OUTBOUND_MESSAGES, BENCH_OUTBOUND_LIMITS (e.g. "80,1000"), BENCH_OUTBOUND_CONCURRENCY
 * (API requests in flight, default 1), BENCH_OUTBOUND_SERVER_ENV (JSON env for the nodes, e.g.
 * {"SQLITE_SYNCHRONOUS":"NORMAL"} or {"DATABASE_URL":"postgres://…"}), BENCH_OUTBOUND_PROFILE (a
 * directory for a CPU profile of the worker node), BENCH_OUTBOUND_TRACE (a directory for the sorted
 * receive times per limit).
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  startSimulator,
  type TemplateSeed,
  type WhatsAppSimulator,
} from '../apps/whatsapp-simulator/src/index.ts';
import { BENCH_API_TOKEN, createDataDir, startBenchServer, type BenchServer } from './lib/outbound-server.ts';

const MESSAGES = Number(process.env['BENCH_OUTBOUND_MESSAGES'] ?? 10_000);
const LIMITS = (process.env['BENCH_OUTBOUND_LIMITS'] ?? '80,1000').split(',').map(Number);
const API_CONCURRENCY = Number(process.env['BENCH_OUTBOUND_CONCURRENCY'] ?? 1);
const SERVER_ENV = process.env['BENCH_OUTBOUND_SERVER_ENV'];
const PROFILE_DIR = process.env['BENCH_OUTBOUND_PROFILE'];
const TRACE_DIR = process.env['BENCH_OUTBOUND_TRACE'];
/** the whole run stops (children killed) after this long, whatever happens */
const WATCHDOG_MS = 20 * 60_000;

const BUSINESS = {
  phoneNumberId: '100000000000077',
  wabaId: '200000000000077',
  displayPhoneNumber: '15550000077',
  verifiedName: 'Switchboard Bench',
};
const TOKEN = 'EAAbench-outbound-token-0123456789';
const APP_SECRET = 'bench-outbound-app-secret-0123456789';
const TEMPLATE: TemplateSeed = {
  wabaId: BUSINESS.wabaId,
  name: 'order_update',
  language: 'en_US',
  category: 'UTILITY',
  status: 'APPROVED',
  components: [
    {
      type: 'BODY',
      text: 'Hi {{1}}, your order {{2}} has shipped.',
      example: { body_text: [['Ana', 'A-1']] },
    },
  ],
};

interface RunResult {
  limit: number;
  ratio: number;
  achieved_mps: number;
  busiest_1s: number;
  errors_130429: number;
  other_graph_errors: number;
  sent_twice: number;
  received: number;
  send_seconds: number;
  api_p50_ms: number;
  api_p99_ms: number;
  api_max_ms: number;
  api_rps: number;
}

// Every child this run starts, so a failure, a signal or the watchdog can stop them all.
const running = new Set<BenchServer>();
const temps = new Set<() => void>();
async function cleanUp(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
  running.clear();
  for (const remove of temps) remove();
  temps.clear();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}
const watchdog = setTimeout(() => {
  process.stderr.write(`outbound bench: stopped by the ${WATCHDOG_MS / 60_000}-minute watchdog\n`);
  void cleanUp().finally(() => process.exit(2));
}, WATCHDOG_MS);
watchdog.unref();

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The most receive times that fall within any 1-second window. */
function busiestSecond(times: number[]): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while (times[end]! - times[start]! >= 1000) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

async function waitFor(what: string, timeoutMs: number, probe: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** 10,000 distinct wa_ids per run, different ones per limit. */
const recipient = (limit: number, i: number) =>
  `4477${String(limit).padStart(4, '0')}${String(i).padStart(5, '0')}`;

async function run(limit: number): Promise<RunResult> {
  const sim: WhatsAppSimulator = await startSimulator({
    accessToken: TOKEN,
    appSecret: APP_SECRET,
    businesses: [{ ...BUSINESS, tier: 'unlimited', throughputMps: limit }],
    templates: [TEMPLATE],
    statuses: { emit: false },
  });
  const data = createDataDir();
  temps.add(data.remove);
  const node = async (workers: boolean, nodeArgs?: string[]) => {
    const server = await startBenchServer({
      dataDir: data.dir,
      graphUrl: sim.url,
      accessToken: TOKEN,
      appSecret: APP_SECRET,
      phoneNumberId: BUSINESS.phoneNumberId,
      wabaId: BUSINESS.wabaId,
      workers,
      ...(SERVER_ENV && { env: JSON.parse(SERVER_ENV) as Record<string, string> }),
      ...(nodeArgs && { nodeArgs }),
    });
    running.add(server);
    return server;
  };
  const stop = async (server: BenchServer) => {
    running.delete(server);
    await server.stop();
  };
  try {
    // 1. The channel's limit, no messaging tier (business-initiated sends to 10,000 people), the template.
    const setup = await node(true);
    const channel = await setup.api('PUT', `/api/v1/channels/${BUSINESS.phoneNumberId}`, {
      throughputMps: limit,
      messagingLimit: null,
    });
    if (channel.status !== 200) throw new Error(`channel set-up failed: ${JSON.stringify(channel.body)}`);
    await waitFor('the template sync', 30_000, async () => {
      const list = await setup.api<{ data: { name: string; status: string }[] }>('GET', '/api/v1/templates');
      return list.body.data.some((t) => t.name === TEMPLATE.name && t.status === 'APPROVED');
    });
    await stop(setup);

    // 2. The campaign queues its sends through a web node.
    const web = await node(false);
    const latencies: number[] = [];
    let next = 0;
    const apiStarted = performance.now();
    const client = async () => {
      while (next < MESSAGES) {
        const i = next++;
        const body = JSON.stringify({
          channel: BUSINESS.phoneNumberId,
          to: recipient(limit, i),
          content: {
            type: 'template',
            template: {
              name: TEMPLATE.name,
              language: TEMPLATE.language,
              body: [
                { type: 'text', text: `Customer ${i}` },
                { type: 'text', text: `B-${i}` },
              ],
            },
          },
        });
        const started = performance.now();
        const response = await fetch(`${web.url}/api/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${BENCH_API_TOKEN}`, 'content-type': 'application/json' },
          body,
        });
        const answer = (await response.json()) as { id?: string };
        latencies.push(performance.now() - started);
        if (response.status !== 202 || !answer.id)
          throw new Error(`send ${i} answered ${response.status}: ${JSON.stringify(answer)}`);
      }
    };
    await Promise.all(Array.from({ length: API_CONCURRENCY }, client));
    const apiSeconds = (performance.now() - apiStarted) / 1000;
    await stop(web);

    // 3. A worker node sends them at the channel's limit.
    sim.resetCounters();
    const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : undefined;
    const sender = await node(true, profile);
    const progress = setInterval(
      () => process.stderr.write(`  ${sim.core.store.outbound.size} of ${MESSAGES} sent\n`),
      15_000,
    );
    try {
      // Bounded: the sends need MESSAGES / limit seconds; allow half as much again plus a minute.
      const budgetMs = (MESSAGES / limit) * 1500 + 60_000;
      await waitFor(
        'every send to reach the simulator',
        budgetMs,
        () => sim.core.store.outbound.size >= MESSAGES,
      );
    } finally {
      clearInterval(progress);
    }
    // a moment more: a message sent twice would show up now
    await new Promise((r) => setTimeout(r, 2_000));
    await stop(sender);

    const received = [...sim.core.store.outbound.values()];
    const callbacks = new Set(received.map((m) => String(m.body['biz_opaque_callback_data'])));
    const times = received.map((m) => m.createdAt.getTime()).sort((a, b) => a - b);
    if (TRACE_DIR) fs.writeFileSync(path.join(TRACE_DIR, `outbound-${limit}.json`), JSON.stringify(times));
    const spanSeconds = (times[times.length - 1]! - times[0]!) / 1000;
    const achieved = (times.length - 1) / spanSeconds;
    const byCode = sim.counters().requests.byErrorCode;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      limit,
      ratio: round(achieved / limit, 3),
      achieved_mps: round(achieved, 1),
      busiest_1s: busiestSecond(times),
      errors_130429: byCode['130429'] ?? 0,
      other_graph_errors: Object.entries(byCode).reduce((n, [code, v]) => (code === '130429' ? n : n + v), 0),
      sent_twice: received.length - callbacks.size,
      received: received.length,
      send_seconds: round(spanSeconds, 1),
      api_p50_ms: round(percentile(sorted, 50)),
      api_p99_ms: round(percentile(sorted, 99)),
      api_max_ms: round(sorted[sorted.length - 1] ?? 0),
      api_rps: round(MESSAGES / apiSeconds, 0),
    };
  } finally {
    await sim.close();
  }
}

const results: RunResult[] = [];
try {
  for (const limit of LIMITS) {
    process.stderr.write(`outbound bench: ${MESSAGES} template messages at a limit of ${limit}/s …\n`);
    results.push(await run(limit));
    await cleanUp();
  }
} finally {
  await cleanUp();
  clearTimeout(watchdog);
}

console.log('');
console.log(
  `Outbound: ${MESSAGES} template messages to ${MESSAGES} recipients per limit, loopback, ` +
    `send API concurrency ${API_CONCURRENCY}`,
);
const columns: [string, (r: RunResult) => string | number][] = [
  ['limit (msg/s)', (r) => r.limit],
  ['achieved (msg/s)', (r) => r.achieved_mps],
  ['ratio (target 0.97–1.00)', (r) => r.ratio.toFixed(3)],
  ['busiest 1 s window', (r) => r.busiest_1s],
  ['130429 errors (target 0)', (r) => r.errors_130429],
  ['other Graph errors', (r) => r.other_graph_errors],
  ['received / sent twice', (r) => `${r.received} / ${r.sent_twice}`],
  ['send span (s)', (r) => r.send_seconds],
  ['API p50 / p99 (ms)', (r) => `${r.api_p50_ms} / ${r.api_p99_ms}`],
  ['API max (ms), req/s', (r) => `${r.api_max_ms}, ${r.api_rps}`],
];
const width = Math.max(...columns.map(([name]) => name.length));
console.log(`${''.padEnd(width)}  ${results.map(() => '-'.repeat(16)).join('  ')}`);
for (const [name, value] of columns) {
  console.log(`${name.padEnd(width)}  ${results.map((r) => String(value(r)).padStart(16)).join('  ')}`);
}
console.log('');
console.log(
  JSON.stringify({
    bench: 'outbound',
    messages: MESSAGES,
    api_concurrency: API_CONCURRENCY,
    limits: Object.fromEntries(results.map(({ limit, ...rest }) => [String(limit), rest])),
    errors_130429: results.reduce((n, r) => n + r.errors_130429, 0),
    api_p99_ms: Math.max(...results.map((r) => r.api_p99_ms)),
  }),
);
