import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobTooLargeError, FileBlobStore } from '../src/storage/blob-store.ts';
import { chunks, describeBlobStoreContract, failingAfter } from './contract/blob-store.contract.ts';

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'switchboard-blobs-'));
}

describeBlobStoreContract('FileBlobStore', async () => {
  const dir = await tempDir();
  return { store: new FileBlobStore(dir), cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
});

describe('FileBlobStore on disk', () => {
  let dir: string;
  let store: FileBlobStore;

  beforeEach(async () => {
    dir = await tempDir();
    store = new FileBlobStore(dir);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const tmpFiles = async (): Promise<string[]> => fs.readdir(path.join(dir, '.tmp')).catch(() => []);

  it('stores a key as the matching file under its directory', async () => {
    await store.put('media/2025/a.jpg', Buffer.from('jpeg bytes'));
    expect(await fs.readFile(path.join(dir, 'media', '2025', 'a.jpg'), 'utf8')).toBe('jpeg bytes');
    expect(await tmpFiles()).toEqual([]);
  });

  it('writes to a temp file first, so the final path never holds part of a blob', async () => {
    const finalPath = path.join(dir, 'slow.bin');
    let seenWhileWriting: string[] = [];
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('part one ');
      // mid-write: the temp file exists, the final file does not
      seenWhileWriting = await tmpFiles();
      await expect(fs.stat(finalPath)).rejects.toMatchObject({ code: 'ENOENT' });
      yield Buffer.from('part two');
    }
    await store.put('slow.bin', slow());
    expect(seenWhileWriting).toHaveLength(1);
    expect(await fs.readFile(finalPath, 'utf8')).toBe('part one part two');
  });

  it('removes the temp file when the blob is too large or the source fails', async () => {
    await expect(
      store.put('big', chunks([Buffer.alloc(800), Buffer.alloc(800)]), { maxBytes: 1000 }),
    ).rejects.toThrow(BlobTooLargeError);
    await expect(store.put('broken', failingAfter([Buffer.alloc(10)], new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(await tmpFiles()).toEqual([]);
    expect(await fs.readdir(dir)).toEqual(['.tmp']);
  });

  it('never lets a key reach the temp directory or outside the root', async () => {
    await expect(store.put('.tmp/x', Buffer.from('x'))).rejects.toThrow();
    await expect(store.put('../outside', Buffer.from('x'))).rejects.toThrow();
    await expect(fs.stat(path.join(dir, '..', 'outside'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('answers null for a key that names a directory', async () => {
    await store.put('dir/file', Buffer.from('x'));
    expect(await store.get('dir')).toBeNull();
    expect(store.stream('dir')).toBeNull();
    await expect(store.delete('dir')).resolves.toBeUndefined();
    expect((await store.get('dir/file'))?.toString()).toBe('x');
  });
});
