/**
 * How fast the WhatsApp simulator is, on loopback only:
 *  (a) webhook deliveries per second it pushes to a minimal receiver (a child process, so the
 *      receiver does not compete with the simulator for the same core);
 *  (b) POST /messages requests per second it answers (autocannon in a worker thread).
 * Bounded in count and time; prints a table and one JSON line. Run: npx tsx bench/simulator.ts
 */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { startSimulator } from '../apps/whatsapp-simulator/src/index.ts';

const WEBHOOK_EVENTS = Number(process.env['BENCH_WEBHOOK_EVENTS'] ?? 20_000);
const SEND_SECONDS = Number(process.env['BENCH_SEND_SECONDS'] ?? 8);
const CONNECTIONS = 32;
const TIME_LIMIT_MS = 60_000;

/** A receiver that answers 200 to everything and counts, in its own process. */
async function startReceiver(): Promise<{ url: string; stop: () => void }> {
  const script = `
    const http = require('node:http');
    let n = 0;
    const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { n++; res.writeHead(200).end(); }); });
    server.keepAliveTimeout = 10000;
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
    process.on('SIGTERM', () => process.exit(0));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/webhooks/whatsapp`, stop: () => child.kill('SIGTERM') };
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} exceeded ${TIME_LIMIT_MS} ms`)), TIME_LIMIT_MS);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function benchWebhooks() {
  const receiver = await startReceiver();
  const sim = await startSimulator({ webhookUrl: receiver.url, webhooks: { concurrency: CONNECTIONS } });
  try {
    // warm the connections up, then measure
    for (let i = 0; i < 500; i++)
      sim.customer(`1555090${String(i % 1000).padStart(4, '0')}`).sendText('warm-up');
    await sim.idle();
    sim.resetCounters();
    const started = performance.now();
    for (let i = 0; i < WEBHOOK_EVENTS; i++) {
      sim.customer(`1555090${String(i % 1000).padStart(4, '0')}`, 'Bench').sendText(`message ${i}`);
      // yield now and then so deliveries start while events are still being produced
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await withTimeout(sim.idle(), 'webhook bench');
    const seconds = (performance.now() - started) / 1000;
    const w = sim.counters().webhooks;
    return {
      per_second: Math.round(w.delivered / seconds),
      events: WEBHOOK_EVENTS,
      delivered: w.delivered,
      failed_attempts: Object.entries(w.attemptsByResult).reduce((n, [k, v]) => (k === '200' ? n : n + v), 0),
      seconds: Number(seconds.toFixed(2)),
      concurrency: CONNECTIONS,
    };
  } finally {
    await sim.close();
    receiver.stop();
  }
}

async function benchSends() {
  const sim = await startSimulator({
    throughputMps: 1_000_000,
    pairRate: { burst: 1_000_000, intervalMs: 1 },
    statuses: { emit: false },
  });
  try {
    const waId = '15550919999';
    sim.customer(waId, 'Bench').sendText('open the window');
    const phoneNumberId = sim.businesses[0]?.phoneNumberId ?? '';
    const result = await withTimeout(
      autocannon({
        url: `${sim.url}/v23.0/${phoneNumberId}/messages`,
        method: 'POST',
        headers: { authorization: `Bearer ${sim.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          to: waId,
          type: 'text',
          text: { body: 'hello from the bench' },
        }),
        connections: CONNECTIONS,
        duration: SEND_SECONDS,
        workers: 1,
      }),
      'send bench',
    );
    const accepted = sim.counters().sends.byType['text'] ?? 0;
    return {
      per_second: Math.round(result.requests.average),
      requests: result.requests.total,
      accepted,
      non_2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      seconds: result.duration,
      connections: CONNECTIONS,
    };
  } finally {
    await sim.close();
  }
}

const webhooks = await benchWebhooks();
const sends = await benchSends();

console.log('');
console.log('WhatsApp simulator benchmark (loopback)');
console.log('metric                          value');
console.log('------------------------------  ------------');
const row = (name: string, value: string | number) => console.log(`${name.padEnd(30)}  ${String(value)}`);
row('webhook deliveries / s', webhooks.per_second);
row('  events delivered', `${webhooks.delivered} / ${webhooks.events}`);
row('  failed attempts', webhooks.failed_attempts);
row('  seconds', webhooks.seconds);
row('send requests / s', sends.per_second);
row('  requests (accepted)', `${sends.requests} (${sends.accepted})`);
row('  non-2xx / errors', `${sends.non_2xx} / ${sends.errors}`);
row('  latency p50 / p99 (ms)', `${sends.p50_ms} / ${sends.p99_ms}`);
console.log('');
console.log(JSON.stringify({ webhooks, sends }));
