import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Child processes and temp dirs of one benchmark run. Everything created here is registered, so
 * `cleanupAll` (normal end, failure, Ctrl-C, watchdog) stops every child and removes every dir.
 */

export interface Child {
  name: string;
  process: ChildProcess;
  url: string;
  pid: number;
  /** the last 64 KB of stdout+stderr */
  output(): string;
}

const children = new Set<Child>();
const tempDirs = new Set<string>();

export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Spawns `node <args>` and waits until GET <url>/healthz answers 200. */
export async function spawnChild(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
  port: number,
  options: { ipc?: boolean; startTimeoutMs?: number } = {},
): Promise<Child> {
  let output = '';
  const stdio: StdioOptions = options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
  const proc = spawn(process.execPath, args, { env, stdio });
  const append = (d: Buffer) => {
    output = (output + d.toString()).slice(-65_536);
  };
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  if (proc.pid === undefined) throw new Error(`${name}: spawn failed`);
  const child: Child = {
    name,
    process: proc,
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid,
    output: () => output,
  };
  children.add(child);
  proc.once('exit', () => children.delete(child));

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`${name} exited early (${proc.exitCode ?? proc.signalCode}):\n${output}`);
    try {
      if ((await fetch(`${child.url}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not become healthy:\n${output}`);
    await sleep(100);
  }
}

function exited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopChild(child: Child, graceMs = 15_000): Promise<void> {
  const proc = child.process;
  if (!exited(proc)) {
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      process.stderr.write(`  ${child.name} did not stop in ${graceMs} ms: SIGKILL\n`);
      proc.kill('SIGKILL');
    }, graceMs);
    await gone;
    clearTimeout(timer);
  }
  children.delete(child);
}

/** Best effort, synchronous where it matters: used on failure and on signals. */
export async function cleanupAll(graceMs = 5_000): Promise<void> {
  await Promise.allSettled([...children].map((c) => stopChild(c, graceMs)));
  for (const dir of [...tempDirs]) removeTempDir(dir);
}

/** Last resort (signal or watchdog): SIGKILL every child and remove every dir, synchronously. */
export function killAllNow(): void {
  for (const c of children) if (!exited(c.process)) c.process.kill('SIGKILL');
  for (const dir of [...tempDirs]) {
    try {
      removeTempDir(dir);
    } catch {
      // keep going
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc (Linux only). */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / 100 : null; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** CPU seconds used by this process (the load generator). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
