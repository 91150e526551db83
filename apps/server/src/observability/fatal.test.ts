import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A real process: the handlers are process-wide, and exiting is the point. */
function runChild(trigger: string) {
  const script = `
    const { createLogger } = await import(${JSON.stringify(path.join(here, 'logger.ts'))});
    const { exitOnFatalErrors } = await import(${JSON.stringify(path.join(here, 'fatal.ts'))});
    exitOnFatalErrors(createLogger('info'));
    ${trigger}
    setTimeout(() => process.exit(0), 2000);
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  const lines = child.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string }; token?: string });
  return { status: child.status, lines, stderr: child.stderr };
}

describe('exitOnFatalErrors', () => {
  it('logs an unhandled rejection as one fatal JSON line and exits 1', () => {
    const { status, lines } = runChild(`Promise.reject(new Error('boom in a callback'));`);
    expect(status).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 60,
      msg: 'unhandled rejection',
      err: { message: 'boom in a callback' },
    });
  });

  it('logs an uncaught exception the same way, with redaction applied', () => {
    const { status, lines } = runChild(
      `setTimeout(() => { const e = new Error('thrown later'); e.token = 'secret-token-value'; throw e; }, 10);`,
    );
    expect(status).toBe(1);
    expect(lines[0]).toMatchObject({
      level: 60,
      msg: 'uncaught exception',
      err: { message: 'thrown later' },
    });
    expect(JSON.stringify(lines)).not.toContain('secret-token-value');
  });
});
