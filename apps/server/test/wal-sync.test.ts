import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WalSync } from '../src/storage/wal-sync.ts';

describe('WalSync', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'walsync-'));
  const wal = path.join(dir, 'db.sqlite-wal');
  fs.writeFileSync(wal, 'frames');
  let sync: WalSync;
  afterEach(async () => sync?.close());
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes a caller that arrives during a running sync wait for the next one, and shares that one', async () => {
    sync = new WalSync(wal);
    const order: string[] = [];
    const first = sync.sync().then(() => order.push('first'));
    // Both arrive while the first sync runs: their commits may be newer than it, so one more sync
    // covers them, and they share it instead of starting one each.
    const second = sync.sync();
    const third = sync.sync();
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    await Promise.all([first, second.then(() => order.push('second'))]);
    expect(order).toEqual(['first', 'second']);
  });

  it('fails loudly when the WAL file cannot be opened (an ack must never pass without its sync)', async () => {
    sync = new WalSync(path.join(dir, 'missing-wal'));
    await expect(sync.sync()).rejects.toThrow(/ENOENT/);
  });
});
