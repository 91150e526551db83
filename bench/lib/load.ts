import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { AckLog, DeliveryPool } from './deliveries.ts';
import { processCpuSeconds, selfCpuSeconds } from './children.ts';
import { sortedCopy } from './stats.ts';

export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  /** requests per second over all connections (autocannon overallRate); none: as fast as acked */
  rate?: number;
  /**
   * Split the load over this many autocannon instances started 1/slices s apart, each with
   * connections/slices connections and rate/slices req/s. autocannon's rate limiter refills every
   * connection's quota at the same instant once a second, so a single instance sends each second's
   * requests in one burst; staggered instances spread the bursts over the second.
   */
  slices?: number;
  /** each connection sends its own share of the pool at most once (no body is ever sent twice) */
  noRepeat?: boolean;
  /** the server's pid, to report its CPU use over the run */
  serverPid?: number;
}

export interface LoadResult {
  /** wall time from the first instance's start to the last one's end */
  wallSec: number;
  responses: number;
  ok: number;
  non2xx: number;
  byStatus: Record<string, number>;
  errors: number;
  timeouts: number;
  /** 2xx per second over the wall time (closed loop: the throughput) */
  okPerSec: number;
  /** 2xx per second of the nominal duration (paced runs: the achieved rate) */
  okPerNominalSec: number;
  /** response times of 2xx answers, ms, ascending */
  latencyMs: Float64Array;
  /** connections that used up their share of the pool before the end */
  exhaustedConnections: number;
  /** bodies that got more than one response (only when the pool wrapped around) */
  resent: number;
  log: AckLog;
  /** CPU use over the run, in cores (1.0 = one core busy) */
  generatorCpu: number;
  serverCpu: number | null;
}

export async function runLoad(pool: DeliveryPool, spec: LoadSpec): Promise<LoadResult> {
  const slices = Math.max(1, Math.min(spec.slices ?? 1, spec.connections));
  const log = pool.beginRun();
  const latencies: number[] = [];
  const sentPerConnection: number[] = [];
  let nextConnection = 0;
  let errors = 0;
  let timeouts = 0;
  let firstStart = Number.POSITIVE_INFINITY;
  const share = Math.floor(pool.size / spec.connections);

  // CPU is counted from the first instance's start: before it, autocannon builds every request
  // buffer of the pool (seconds for a large pool) while the server idles, which diluted both figures.
  let cpu0 = selfCpuSeconds();
  let server0 = spec.serverPid ? processCpuSeconds(spec.serverPid) : null;
  const markStart = () => {
    if (firstStart !== Number.POSITIVE_INFINITY) return;
    firstStart = performance.now();
    cpu0 = selfCpuSeconds();
    server0 = spec.serverPid ? processCpuSeconds(spec.serverPid) : null;
  };

  const runSlice = (s: number) =>
    new Promise<void>((resolve, reject) => {
      const connections = distribute(spec.connections, slices, s);
      const rate = spec.rate ? distribute(spec.rate, slices, s) : undefined;
      const instance = autocannon(
        {
          url: `${spec.url}/webhooks/whatsapp`,
          method: 'POST',
          connections,
          duration: spec.durationSec,
          // raw response times; autocannon's correction assumes 1 ms between requests at any rate
          ...(rate && { overallRate: rate, ignoreCoordinatedOmission: true }),
          ...(spec.noRepeat && { maxConnectionRequests: share }),
          timeout: 10,
          setupClient: (client) => {
            const n = nextConnection++;
            sentPerConnection[n] = 0;
            client.on('response', () => (sentPerConnection[n]! += 1));
            client.setRequests(pool.slice(n, spec.connections));
          },
        },
        (error: unknown, result: autocannon.Result) => {
          if (error) return reject(error instanceof Error ? error : new Error(String(error)));
          errors += result.errors;
          timeouts += result.timeouts;
          resolve();
        },
      );
      instance.on('start', markStart);
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      });
    });

  await Promise.all(
    Array.from(
      { length: slices },
      (_, s) =>
        new Promise<void>((resolve, reject) =>
          setTimeout(() => runSlice(s).then(resolve, reject), Math.round((s * 1000) / slices)),
        ),
    ),
  );
  const wallEnd = performance.now();
  pool.endRun();

  const wallSec = (wallEnd - Math.min(firstStart, wallEnd)) / 1000;
  const perWallSecond = (cpuSec: number) => (wallSec > 0 ? cpuSec / wallSec : Number.NaN);
  const server1 = spec.serverPid ? processCpuSeconds(spec.serverPid) : null;
  const byStatus: Record<string, number> = {};
  let ok = 0;
  let responses = 0;
  for (const [status, count] of log.byStatus) {
    byStatus[String(status)] = count;
    responses += count;
    if (status >= 200 && status < 300) ok += count;
  }
  return {
    wallSec,
    responses,
    ok,
    non2xx: responses - ok,
    byStatus,
    errors,
    timeouts,
    okPerSec: wallSec > 0 ? ok / wallSec : 0,
    okPerNominalSec: ok / spec.durationSec,
    latencyMs: sortedCopy(latencies),
    exhaustedConnections: spec.noRepeat ? sentPerConnection.filter((n) => n >= share).length : 0,
    resent: log.resent(),
    log,
    generatorCpu: perWallSecond(selfCpuSeconds() - cpu0),
    serverCpu: server0 !== null && server1 !== null ? perWallSecond(server1 - server0) : null,
  };
}

/** The share of `total` for part `i` of `parts` (the first ones get the remainder). */
function distribute(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}
