/**
 * `npm run bench:ingest` — webhook ingestion: what durable acknowledgement costs.
 *
 * On loopback, with one load generator (autocannon, pre-signed distinct deliveries):
 *   1. baseline   a bare Fastify 5 child process that reads the body and answers 200
 *   2. max        Switchboard (`switchboard start`, fresh data dir and database, workers on): durable acks/s
 *      (1 and 2 alternate for BENCH_ROUNDS rounds, a fresh Switchboard each round; the ratio is the
 *      median of the rounds' ratios, each round's max over the baseline measured just before it: the
 *      machine's speed drifts by a third within minutes, and one baseline 30 s before one max phase
 *      turned that drift into the ratio)
 *   3. half       Switchboard at half of (2): ack latency (paced, and autocannon's bursty pacing)
 *   4. lag        Switchboard at 1,000 deliveries/s: received_at → applied_at from its database
 *   5. stored     every phase: each 2xx-acknowledged delivery must have its row
 * Prints a table, then one JSON line (headline key "ratio"). Misses are marked, never fatal.
 *
 * Knobs (environment): BENCH_CONNECTIONS (64), BENCH_DURATION (10 s), BENCH_WARMUP (2 s),
 * BENCH_ROUNDS (3), BENCH_LAG_RATE (1000), BENCH_SLICES (16), BENCH_DATABASE (sqlite | postgres;
 * postgres creates a database per server through BENCH_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres, and drops it after). SQLITE_SYNCHRONOUS, WORKERS,
 * WORKER_CONCURRENCY and JOB_LEASE_SECONDS are passed to the Switchboard child when set, for
 * experiments.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  cleanupAll,
  freePort,
  killAllNow,
  makeTempDir,
  removeTempDir,
  sleep,
  spawnChild,
  stopChild,
  type Child,
} from './lib/children.ts';
import { BENCH_APP_SECRET, BENCH_CHANNEL, DeliveryPool, SENDERS } from './lib/deliveries.ts';
import { createBenchDatabase, type BenchDatabaseKind } from './lib/bench-database.ts';
import {
  checkStored,
  lagStats,
  waitUntilApplied,
  type InboxView,
  type LagStats,
  type StoredCheck,
} from './lib/inbox-db.ts';
import { runLoad, type LoadResult } from './lib/load.ts';
import {
  diffHistogram,
  readHistogram,
  summarize,
  type HistogramReading,
  type HistogramSummary,
} from './lib/prometheus.ts';
import { fmt, fmtInt, median, percentile, round, sortedCopy, table } from './lib/stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(root, 'apps/server/bin/switchboard.js');
const BASELINE = path.join(root, 'bench/lib/baseline-server.ts');

const TARGETS = { ratio: 0.5, ackP99Ms: 25, lagP99Ms: 1000 } as const;
const HARD_LIMIT_MS = 10 * 60_000;
const SETTLE_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 120_000;
const GROUP_COMMIT = 'switchboard_webhook_group_commit_size';
const ACK_SECONDS = 'switchboard_webhook_ack_seconds';

const settings = {
  connections: envInt('BENCH_CONNECTIONS', 64, 1, 1024),
  durationSec: envInt('BENCH_DURATION', 10, 1, 120),
  warmupSec: envInt('BENCH_WARMUP', 2, 1, 30),
  rounds: envInt('BENCH_ROUNDS', 3, 1, 9),
  lagRate: envInt('BENCH_LAG_RATE', 1000, 10, 100_000),
  slices: envInt('BENCH_SLICES', 16, 1, 64),
  database: envChoice<BenchDatabaseKind>('BENCH_DATABASE', ['sqlite', 'postgres']),
  /** BENCH_DATABASE=postgres: a fresh database per server is created (and dropped) through this URL */
  postgresUrl: process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
};

/** Switchboard settings an experiment may pass through; every other Switchboard variable is dropped. */
const PASS_THROUGH = ['SQLITE_SYNCHRONOUS', 'WORKERS', 'WORKER_CONCURRENCY', 'JOB_LEASE_SECONDS'] as const;
const SWITCHBOARD_VARIABLES = [
  'PORT',
  'HOST',
  'PUBLIC_URL',
  'DATA_DIR',
  'DATABASE_URL',
  'SQLITE_SYNCHRONOUS',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'WHATSAPP_ACCESS_TOKEN',
  'WHATSAPP_PHONE_NUMBER_ID',
  'WHATSAPP_WABA_ID',
  'WHATSAPP_GRAPH_URL',
  'WHATSAPP_API_VERSION',
  'SWITCHBOARD_API_TOKEN',
  'WORKERS',
  'WORKER_CONCURRENCY',
  'JOB_LEASE_SECONDS',
  'LOG_LEVEL',
  'SANDBOX',
  'SIMULATOR_PORT',
];
const overrides: Record<string, string> = {};
for (const key of PASS_THROUGH) {
  const value = process.env[key];
  if (value) overrides[key] = value;
}

const runId = randomBytes(4).toString('hex');
/** WORKERS=false (an ingest-only experiment): nothing is ever applied, so do not wait for it */
const workersOn = !['false', '0', 'no'].includes(overrides.WORKERS ?? 'true');

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer in [${min}, ${max}], got ${raw}`);
  return value;
}

function envChoice<T extends string>(name: string, choices: readonly T[]): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return choices[0]!;
  if (!(choices as readonly string[]).includes(raw))
    throw new Error(`${name} must be one of ${choices.join(', ')}, got ${raw}`);
  return raw as T;
}

/** The URL without its password, for the report. */
function redactUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password) url.password = '***';
  return url.toString();
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** The environment of a child: ours minus every Switchboard variable. */
function childEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of SWITCHBOARD_VARIABLES) delete env[key];
  return { ...env, ...extra };
}

/** Deliveries enough for `rate`/s over `seconds` on `connections`, none sent twice. */
function pacedPool(tag: string, rate: number, seconds: number): DeliveryPool {
  const perConnection = Math.ceil((rate / settings.connections) * 1.2 + 1) * (seconds + 2) + 8;
  return new DeliveryPool(runId, tag, perConnection * settings.connections);
}

// ---------------------------------------------------------------- phases

interface SwitchboardServer {
  child: Child;
  url: string;
  inbox: InboxView;
}

let servers = 0;

async function withSwitchboard<T>(label: string, fn: (sb: SwitchboardServer) => Promise<T>): Promise<T> {
  const dir = makeTempDir('switchboard-bench-ingest-');
  const port = await freePort();
  const database = await createBenchDatabase(
    settings.database,
    dir,
    settings.postgresUrl,
    `switchboard_bench_${runId}_${++servers}`,
  );
  let child: Child | undefined;
  try {
    child = await spawnChild(
      `switchboard (${label})`,
      [CLI, 'start'],
      childEnv({
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        WHATSAPP_APP_SECRET: BENCH_APP_SECRET,
        WHATSAPP_PHONE_NUMBER_ID: BENCH_CHANNEL.phoneNumberId,
        WHATSAPP_WABA_ID: BENCH_CHANNEL.wabaId,
        LOG_LEVEL: 'warn',
        SANDBOX: 'false',
        ...database.env,
        ...overrides,
      }),
      port,
    );
    const result = await fn({ child, url: child.url, inbox: database.inbox });
    const warnings = child
      .output()
      .split('\n')
      .filter((l) => /"level":(40|50|60)/.test(l));
    if (warnings.length > 0) {
      progress(`  ${label}: the server logged ${warnings.length} warning/error line(s); the first:`);
      progress(`  ${warnings[0]!.slice(0, 400)}`);
    }
    return result;
  } finally {
    if (child) await stopChild(child);
    await database.drop();
    removeTempDir(dir);
  }
}

interface PhaseResult {
  load: LoadResult;
  stored: StoredCheck | null;
  groupCommit: HistogramSummary | null;
  /** the server's own ack time (request start → 200), mean over the phase, ms */
  serverAckMeanMs: number | null;
  /**
   * the upper bound of the server-side ack histogram's bucket holding the 99th percentile, ms: the
   * client-side p99 also counts time in the load generator and its pacing, which this does not
   */
  serverAckP99LeMs: number | null;
  /** stored deliveries not yet applied when the load stopped (the inbound worker's backlog) */
  backlogAtEnd: number | null;
  notes: string[];
}

async function serverHistograms(url: string): Promise<[HistogramReading | null, HistogramReading | null]> {
  return Promise.all([readHistogram(url, GROUP_COMMIT), readHistogram(url, ACK_SECONDS)]);
}

async function measured(
  sb: SwitchboardServer,
  pool: DeliveryPool,
  run: () => Promise<LoadResult>,
): Promise<PhaseResult> {
  const [gc0, ack0] = await serverHistograms(sb.url);
  const load = await run();
  const backlogAtEnd = await sb.inbox.pendingCount();
  const [gc1, ack1] = await serverHistograms(sb.url);
  await sleep(200); // let the last in-flight (unacknowledged) commits land; acked rows are there already
  const stored = await checkStored(sb.inbox, pool, load.log);
  const ackDiff = ack1 ? diffHistogram(ack1, ack0) : null;
  const ack = ackDiff && ackDiff.count > 0 ? summarize(ackDiff) : null;
  const notes: string[] = [];
  if (load.exhaustedConnections > 0)
    notes.push(`${load.exhaustedConnections} connection(s) used up their share of the pool early`);
  if (load.resent > 0) notes.push(`${load.resent} bodies sent twice`);
  return {
    load,
    stored,
    groupCommit: gc1 ? summarize(diffHistogram(gc1, gc0)) : null,
    serverAckMeanMs: ack ? ack.mean * 1000 : null,
    serverAckP99LeMs: ack ? ack.p99Le * 1000 : null,
    backlogAtEnd,
    notes,
  };
}

async function settle(sb: SwitchboardServer, label: string): Promise<void> {
  if (!workersOn) return;
  const t0 = performance.now();
  const ok = await waitUntilApplied(sb.inbox, SETTLE_TIMEOUT_MS);
  progress(
    ok
      ? `  ${label}: warm-up backlog applied in ${Math.round(performance.now() - t0)} ms`
      : `  ${label}: warm-up backlog NOT applied within ${SETTLE_TIMEOUT_MS} ms; measuring anyway`,
  );
}

interface Round {
  baseline: PhaseResult;
  max: PhaseResult;
  /** max acks/s over the baseline's req/s of the same round */
  ratio: number;
}

interface BaselineServer {
  child: Child;
  pool: DeliveryPool;
}

/** The bare endpoint, started and warmed once; it stays up (idle) between its rounds. */
async function startBaseline(): Promise<BaselineServer> {
  progress('baseline: bare Fastify child process');
  const pool = new DeliveryPool(runId, 'base', settings.connections * 400);
  const port = await freePort();
  const child = await spawnChild(
    'baseline',
    ['--import', 'tsx', BASELINE],
    childEnv({ PORT: String(port) }),
    port,
    { ipc: true },
  );
  const { connections, warmupSec } = settings;
  await runLoad(pool, { url: child.url, connections, durationSec: warmupSec });
  return { child, pool };
}

async function baselineRound(server: BaselineServer, round: number): Promise<PhaseResult> {
  const { connections, durationSec } = settings;
  const { child, pool } = server;
  progress(`  baseline r${round}: ${durationSec} s closed loop, ${connections} connections`);
  const load = await runLoad(pool, { url: child.url, connections, durationSec, serverPid: child.pid });
  // This pool is cycled on purpose (the baseline stores nothing): no stored check.
  return {
    load,
    stored: null,
    groupCommit: null,
    serverAckMeanMs: null,
    serverAckP99LeMs: null,
    backlogAtEnd: null,
    notes: ['bodies cycled'],
  };
}

/** `baselineRps`: the bare endpoint's rate this round, the ceiling the pool is sized for. */
async function maxPhase(label: string, baselineRps: number): Promise<PhaseResult> {
  progress(`switchboard ${label}: fresh data dir`);
  return withSwitchboard(label, async (sb) => {
    const { connections, warmupSec, durationSec } = settings;
    const warm = new DeliveryPool(runId, `${label}-warm`, connections * 300);
    const w = await runLoad(warm, { url: sb.url, connections, durationSec: warmupSec, noRepeat: true });
    progress(`  ${label}: warm-up ${fmtInt(w.okPerSec)} acks/s`);
    await settle(sb, label);
    // Enough distinct deliveries that none is sent twice and no connection runs out early: for 3× the
    // warm-up rate (it runs cold, and beside the workers applying its own deliveries, so it can be
    // far below the measured rate) and for the bare endpoint's rate of this round.
    const ceiling = Math.max(w.okPerSec * 3, baselineRps, 1000);
    const perConnection = Math.ceil((ceiling * durationSec) / connections);
    const pool = new DeliveryPool(runId, label, Math.min(perConnection * connections, 400_000));
    progress(
      `  ${label}: ${durationSec} s closed loop, ${connections} connections, ${fmtInt(pool.size)} bodies`,
    );
    return measured(sb, pool, () =>
      runLoad(pool, { url: sb.url, connections, durationSec, noRepeat: true, serverPid: sb.child.pid }),
    );
  });
}

async function pacedPhase(
  label: string,
  rate: number,
  slices: number,
): Promise<PhaseResult & { lag?: LagStats; drainMs?: number | null }> {
  progress(`switchboard ${label}: fresh data dir, ${fmtInt(rate)} deliveries/s, ${slices} slice(s)`);
  return withSwitchboard(label, async (sb) => {
    const { connections, warmupSec, durationSec } = settings;
    const warm = pacedPool(`${label}-warm`, rate, warmupSec);
    await runLoad(warm, { url: sb.url, connections, durationSec: warmupSec, rate, slices, noRepeat: true });
    await settle(sb, label);
    const pool = pacedPool(label, rate, durationSec);
    progress(`  ${label}: ${durationSec} s at ${fmtInt(rate)}/s`);
    const phase = await measured(sb, pool, () =>
      runLoad(pool, {
        url: sb.url,
        connections,
        durationSec,
        rate,
        slices,
        noRepeat: true,
        serverPid: sb.child.pid,
      }),
    );
    if (label !== 'lag' || !workersOn) return phase;
    const t0 = performance.now();
    const applied = await waitUntilApplied(sb.inbox, DRAIN_TIMEOUT_MS);
    const drainMs = applied ? performance.now() - t0 : null;
    if (!applied) phase.notes.push(`not all applied within ${DRAIN_TIMEOUT_MS} ms after the load`);
    return { ...phase, lag: await lagStats(sb.inbox, pool), drainMs };
  });
}

// ---------------------------------------------------------------- report

const mark = (pass: boolean | null) => (pass === null ? '?' : pass ? 'PASS' : 'MISS');

function phaseRow(name: string, load: string, p: PhaseResult, rateKind: 'closed' | 'paced'): string[] {
  const l = p.load;
  return [
    name,
    load,
    fmtInt(l.ok),
    fmtInt(rateKind === 'closed' ? l.okPerSec : l.okPerNominalSec),
    fmtInt(l.non2xx),
    fmtInt(l.errors),
    fmt(percentile(l.latencyMs, 50)),
    fmt(percentile(l.latencyMs, 99)),
    p.stored ? `${fmt(p.stored.storedPct, 1)}%` : '—',
    p.stored ? `${fmtInt(p.stored.rows)}` : '—',
    fmt(l.serverCpu),
    fmt(l.generatorCpu),
  ];
}

function storedJson(p: PhaseResult) {
  return p.stored
    ? {
        acked: p.stored.acked,
        rows: p.stored.rows,
        missing: p.stored.missing,
        duplicate_rows: p.stored.duplicateRows,
        stored_pct: round(p.stored.storedPct, 3),
        non2xx: p.load.non2xx,
        by_status: p.load.byStatus,
        errors: p.load.errors,
        timeouts: p.load.timeouts,
      }
    : null;
}

function histogramJson(h: HistogramSummary | null) {
  return h ? { count: h.count, mean: round(h.mean), p50_le: h.p50Le, p99_le: h.p99Le } : null;
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadavg_at_start: os.loadavg().map((v) => round(v)),
  };
  progress(
    `run ${runId}: ${machine.cores} cores, Node ${machine.node}, loadavg ${machine.loadavg_at_start.join(' ')}; ` +
      `switchboard overrides: ${JSON.stringify(overrides)}`,
  );

  const rounds: Round[] = [];
  const baselineServer = await startBaseline();
  try {
    for (let r = 1; r <= settings.rounds; r++) {
      const baseline = await baselineRound(baselineServer, r);
      const max = await maxPhase(`max-r${r}`, baseline.load.okPerSec);
      const ratio = baseline.load.okPerSec > 0 ? max.load.okPerSec / baseline.load.okPerSec : Number.NaN;
      progress(`  round ${r}: ratio ${fmt(ratio, 3)}`);
      rounds.push({ baseline, max, ratio });
    }
  } finally {
    await stopChild(baselineServer.child);
  }
  const ratio = median(rounds.map((r) => r.ratio));
  const baselineRps = median(rounds.map((r) => r.baseline.load.okPerSec));
  const maxRps = median(rounds.map((r) => r.max.load.okPerSec));
  const maxLatencyMs = sortedCopy(rounds.flatMap((r) => Array.from(r.max.load.latencyMs)));
  const halfRate = Math.max(settings.connections, Math.round(maxRps / 2));
  const half = await pacedPhase('half', halfRate, settings.slices);
  const halfBurst = await pacedPhase('half-burst', halfRate, 1);
  const lag = await pacedPhase('lag', settings.lagRate, settings.slices);

  const ackP50 = percentile(half.load.latencyMs, 50);
  const ackP99 = percentile(half.load.latencyMs, 99);
  const lagP99 = lag.lag?.p99Ms ?? Number.NaN;
  const maxPhases = Object.fromEntries(rounds.map((r, i) => [`max-r${i + 1}`, r.max]));
  const baselinePhases = Object.fromEntries(rounds.map((r, i) => [`baseline-r${i + 1}`, r.baseline]));
  const storedPhases: Record<string, PhaseResult> = { ...maxPhases, half, 'half-burst': halfBurst, lag };
  const storedPct = Math.min(...Object.values(storedPhases).map((p) => p.stored?.storedPct ?? 100));
  const pass = {
    ratio: Number.isFinite(ratio) ? ratio >= TARGETS.ratio : null,
    ack: Number.isFinite(ackP99) ? ackP99 < TARGETS.ackP99Ms : null,
    // The lag figure only counts if the server actually took the offered rate and drained.
    lag:
      Number.isFinite(lagP99) && lag.drainMs !== null
        ? lagP99 < TARGETS.lagP99Ms && lag.load.okPerNominalSec >= 0.95 * settings.lagRate
        : null,
  };

  const { connections, durationSec, slices } = settings;
  const out: string[] = [];
  out.push('');
  out.push(
    `Switchboard ingest benchmark — ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, ` +
      `loadavg at start ${machine.loadavg_at_start.join(' ')}`,
  );
  out.push(
    `loopback, autocannon, ${connections} connections, ${durationSec} s per phase, ${settings.rounds} rounds of ` +
      `baseline then max, distinct pre-signed ` +
      `text deliveries from ${SENDERS} customers; Switchboard: ` +
      (settings.database === 'sqlite'
        ? `SQLite, SQLITE_SYNCHRONOUS=${overrides.SQLITE_SYNCHRONOUS ?? 'FULL (default)'}, `
        : `PostgreSQL (a fresh database per server, through ${redactUrl(settings.postgresUrl)}), `) +
      `WORKER_CONCURRENCY=${overrides.WORKER_CONCURRENCY ?? (settings.database === 'sqlite' ? '2 (default)' : '8 (default)')}, workers ${overrides.WORKERS ?? 'on'}`,
  );
  out.push('');
  out.push(
    table(
      [
        'phase',
        'load',
        '2xx',
        '2xx/s',
        'non-2xx',
        'errors',
        'p50 ms',
        'p99 ms',
        'stored',
        'rows',
        'srv CPU',
        'gen CPU',
      ],
      [
        ...rounds.flatMap((r, i) => [
          phaseRow(`baseline r${i + 1} (bare Fastify)`, `closed, ${connections} conn`, r.baseline, 'closed'),
          phaseRow(`switchboard max r${i + 1}`, `closed, ${connections} conn`, r.max, 'closed'),
        ]),
        phaseRow('switchboard half (paced)', `${fmtInt(halfRate)}/s, ${slices} slices`, half, 'paced'),
        phaseRow('switchboard half (1 instance)', `${fmtInt(halfRate)}/s, bursty`, halfBurst, 'paced'),
        phaseRow('switchboard lag', `${fmtInt(settings.lagRate)}/s, ${slices} slices`, lag, 'paced'),
      ],
    ),
  );
  out.push('  (p50/p99: client-side ack latency of 2xx answers; CPU in cores, 1.00 = one core busy)');
  out.push('');
  const l = lag.lag;
  out.push(
    `ack → applied lag at ${fmtInt(settings.lagRate)}/s: p50 ${fmt(l?.p50Ms, 0)} ms, p99 ${fmt(l?.p99Ms, 0)} ms, ` +
      `max ${fmt(l?.maxMs, 0)} ms over ${fmtInt(l?.rows)} rows ${JSON.stringify(l?.byStatus ?? {})}; ` +
      `backlog drained ${lag.drainMs === null || lag.drainMs === undefined ? 'NOT within the bound' : `${fmtInt(lag.drainMs)} ms after the load stopped`}`,
  );
  const gcLine = (name: string, p: PhaseResult) =>
    p.groupCommit
      ? `  ${name.padEnd(12)} ${fmtInt(p.groupCommit.count)} commits, mean ${fmt(p.groupCommit.mean, 1)} deliveries, ` +
        `p50 ≤ ${p.groupCommit.p50Le}, p99 ≤ ${p.groupCommit.p99Le}; server-side ack mean ${fmt(p.serverAckMeanMs)} ms, ` +
        `p99 ≤ ${fmt(p.serverAckP99LeMs, 1)} ms; ` +
        `not yet applied when the load stopped: ${fmtInt(p.backlogAtEnd)}`
      : `  ${name.padEnd(12)} (no /metrics reading)`;
  out.push(`group commit size (${GROUP_COMMIT}, this phase only):`);
  for (const [name, p] of Object.entries(maxPhases)) out.push(gcLine(name, p));
  out.push(gcLine('half', half));
  out.push(gcLine('half-burst', halfBurst));
  out.push(gcLine('lag', lag));
  const notes = Object.entries({ baseline: rounds[0]!.baseline, ...storedPhases }).flatMap(([n, p]) =>
    p.notes.map((x) => `${n}: ${x}`),
  );
  out.push(
    `rounds (baseline, then a fresh Switchboard at max): ` +
      rounds
        .map(
          (r, i) =>
            `r${i + 1} ${fmtInt(r.baseline.load.okPerSec)} / ${fmtInt(r.max.load.okPerSec)} = ${fmt(r.ratio, 3)}`,
        )
        .join('; '),
  );
  if (notes.length > 0) out.push(`notes: ${notes.join('; ')}`);
  out.push('');
  out.push(
    table(
      ['target', 'measured', ''],
      [
        [
          `ratio (switchboard max / baseline max, median of ${rounds.length} rounds) ≥ ${TARGETS.ratio}`,
          fmt(ratio, 3),
          mark(pass.ratio),
        ],
        [`p99 ack at half load (paced) < ${TARGETS.ackP99Ms} ms`, `${fmt(ackP99)} ms`, mark(pass.ack)],
        [
          `applied lag p99 at ${fmtInt(settings.lagRate)}/s < ${TARGETS.lagP99Ms} ms (rate reached: ${fmtInt(lag.load.okPerNominalSec)}/s)`,
          `${fmt(lagP99, 0)} ms`,
          mark(pass.lag),
        ],
        [
          'stored_pct: acknowledged deliveries found stored = 100',
          fmt(storedPct, 3),
          mark(storedPct === 100),
        ],
      ],
    ),
  );
  out.push(`(${fmt((performance.now() - started) / 1000, 0)} s)`);
  out.push('');
  process.stdout.write(`${out.join('\n')}\n`);

  const json = {
    ratio: round(ratio, 3),
    bench: 'ingest',
    run: runId,
    baseline_rps: round(baselineRps, 0),
    switchboard_rps: round(maxRps, 0),
    rounds: rounds.map((r) => ({
      baseline_rps: round(r.baseline.load.okPerSec, 0),
      switchboard_rps: round(r.max.load.okPerSec, 0),
      ratio: round(r.ratio, 3),
    })),
    half_rate_rps: halfRate,
    ack_p50_ms: round(ackP50),
    ack_p99_ms: round(ackP99),
    half_burst_ack_p50_ms: round(percentile(halfBurst.load.latencyMs, 50)),
    half_burst_ack_p99_ms: round(percentile(halfBurst.load.latencyMs, 99)),
    max_ack_p50_ms: round(percentile(maxLatencyMs, 50)),
    max_ack_p99_ms: round(percentile(maxLatencyMs, 99)),
    lag_rate_rps: settings.lagRate,
    lag_achieved_rps: round(lag.load.okPerNominalSec, 0),
    lag_p50_ms: round(l?.p50Ms ?? Number.NaN, 0),
    lag_p99_ms: round(lagP99, 0),
    lag_max_ms: round(l?.maxMs ?? Number.NaN, 0),
    lag_drain_ms: lag.drainMs === null || lag.drainMs === undefined ? null : round(lag.drainMs, 0),
    stored_pct: round(storedPct, 3),
    stored: Object.fromEntries(Object.entries(storedPhases).map(([n, p]) => [n, storedJson(p)])),
    baseline_non2xx: rounds.reduce((n, r) => n + r.baseline.load.non2xx, 0),
    group_commit: Object.fromEntries(
      Object.entries(storedPhases).map(([n, p]) => [n, histogramJson(p.groupCommit)]),
    ),
    backlog_at_end: Object.fromEntries(Object.entries(storedPhases).map(([n, p]) => [n, p.backlogAtEnd])),
    server_ack_mean_ms: Object.fromEntries(
      Object.entries(storedPhases).map(([n, p]) => [n, round(p.serverAckMeanMs ?? Number.NaN)]),
    ),
    server_ack_p99_le_ms: Object.fromEntries(
      Object.entries(storedPhases).map(([n, p]) => [n, p.serverAckP99LeMs]),
    ),
    cpu_cores: Object.fromEntries(
      Object.entries({ ...baselinePhases, ...storedPhases }).map(([n, p]) => [
        n,
        { server: round(p.load.serverCpu ?? Number.NaN), generator: round(p.load.generatorCpu) },
      ]),
    ),
    targets: {
      ratio: { min: TARGETS.ratio, pass: pass.ratio },
      ack_p99_ms: { max: TARGETS.ackP99Ms, pass: pass.ack },
      lag_p99_ms: { max: TARGETS.lagP99Ms, min_achieved_rps: 0.95 * settings.lagRate, pass: pass.lag },
    },
    settings: { ...settings, postgresUrl: redactUrl(settings.postgresUrl), switchboard_overrides: overrides },
    machine,
    notes,
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

// ---------------------------------------------------------------- lifecycle

const watchdog = setTimeout(() => {
  progress(`hard limit of ${HARD_LIMIT_MS / 1000} s reached: stopping`);
  killAllNow();
  process.exit(1);
}, HARD_LIMIT_MS);
watchdog.unref();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping children, removing temp dirs`);
    killAllNow();
    process.exit(130);
  });
}

main().then(
  async () => {
    await cleanupAll();
    process.exit(0);
  },
  async (error: unknown) => {
    process.stderr.write(
      `bench:ingest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await cleanupAll();
    process.exit(1);
  },
);
