/**
 * Switchboard as a real child process for the outbound benchmark: `switchboard start` on loopback
 * over a data directory the caller owns (so several nodes can share one SQLite file, as a web node
 * and a worker node do), wired to a simulator's Graph URL. The load generator and the server never
 * share an event loop (or, on two cores, a core).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(repoRoot, 'apps/server/bin/switchboard.js');

export const BENCH_API_TOKEN = 'bench-outbound-api-token-0123456789';

export interface BenchServer {
  url: string;
  child: ChildProcess;
  /** authorised JSON request to the API; resolves with the status and the parsed body */
  api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export interface BenchServerOptions {
  dataDir: string;
  graphUrl: string;
  accessToken: string;
  appSecret: string;
  phoneNumberId: string;
  wabaId: string;
  /** run the job workers (the sender) in this node; false makes a web-only node */
  workers: boolean;
  /** extra environment (DATABASE_URL, SQLITE_SYNCHRONOUS, …) */
  env?: Record<string, string>;
  /** extra node flags for the child, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] */
  nodeArgs?: string[];
}

export function createDataDir(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-outbound-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, 'start'], {
    env: {
      ...process.env,
      SANDBOX: 'false',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: options.dataDir,
      WORKERS: String(options.workers),
      WHATSAPP_GRAPH_URL: options.graphUrl,
      WHATSAPP_ACCESS_TOKEN: options.accessToken,
      WHATSAPP_APP_SECRET: options.appSecret,
      WHATSAPP_PHONE_NUMBER_ID: options.phoneNumberId,
      WHATSAPP_WABA_ID: options.wabaId,
      SWITCHBOARD_API_TOKEN: BENCH_API_TOKEN,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`switchboard exited early (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`switchboard did not start within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    child,
    async api<T>(method: string, route: string, body?: unknown) {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${BENCH_API_TOKEN}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as T };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      if (output.includes('"level":50') || output.includes('"level":60'))
        process.stderr.write(`switchboard logged errors:\n${output}\n`);
    },
  };
}
