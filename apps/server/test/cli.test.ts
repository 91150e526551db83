import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import { CLI, freePort, spawnSwitchboard, waitForExit } from './support/process.ts';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );

describe.each(testDialects())('the switchboard command on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterAll(async () => t.destroy());

  it('migrate reports an up-to-date database', async () => {
    const result = await cli(['migrate'], t.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('up to date');
  });

  it('token create prints a token once, and the running server accepts it', { timeout: 60_000 }, async () => {
    const created = await cli(['token', 'create', 'ci-test'], t.env);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^sb_[A-Za-z0-9_-]{40,}$/);
    expect(created.stderr).toContain('shown once');
    const server = await spawnSwitchboard(t.env, await freePort());
    try {
      const ok = await fetch(`${server.url}/api/v1/conversations`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(ok.status).toBe(200);
      expect(server.output()).toContain('/webhooks/whatsapp');
      expect(server.output()).not.toContain(token);
    } finally {
      server.child.kill('SIGTERM');
      await waitForExit(server.child);
    }
  });

  it('refuses to start on invalid configuration, naming the variable', async () => {
    const result = await cli(['start'], { ...t.env, PORT: 'eighty', WHATSAPP_API_VERSION: 'v19.0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('WHATSAPP_API_VERSION');
  });

  it('prints usage for an unknown command', async () => {
    const result = await cli(['frobnicate'], t.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Usage: switchboard');
  });
});
