import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobTooLargeError, InvalidBlobKeyError, type BlobStore } from '../../src/storage/blob-store.ts';

/** A fresh, empty store and how to dispose of it. */
export interface BlobStoreFixture {
  store: BlobStore;
  cleanup(): Promise<void>;
}

/**
 * The behaviour every BlobStore must have. Run it once per implementation:
 * `describeBlobStoreContract('FileBlobStore', async () => ({ store, cleanup }))`.
 */
export function describeBlobStoreContract(name: string, factory: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('stores a Buffer and gives back the same bytes, size and sha256', async () => {
      const bytes = randomBytes(10_000);
      const stored = await store.put('media/2025/03/a.jpg', bytes);
      expect(stored).toEqual({ key: 'media/2025/03/a.jpg', size: bytes.length, sha256: sha256(bytes) });
      expectSameBytes(await store.get('media/2025/03/a.jpg'), bytes);
    });

    it('stores a stream of chunks', async () => {
      const parts = [randomBytes(100), randomBytes(70_000), new Uint8Array(0), randomBytes(1)];
      const whole = Buffer.concat(parts);
      const stored = await store.put('chunks.bin', chunks(parts));
      expect(stored).toEqual({ key: 'chunks.bin', size: whole.length, sha256: sha256(whole) });
      expectSameBytes(await store.get('chunks.bin'), whole);
    });

    it('stores an empty blob', async () => {
      const stored = await store.put('empty', Buffer.alloc(0));
      expect(stored).toEqual({ key: 'empty', size: 0, sha256: sha256(Buffer.alloc(0)) });
      expectSameBytes(await store.get('empty'), Buffer.alloc(0));
    });

    it('streams a blob', async () => {
      const bytes = randomBytes(200_000);
      await store.put('s/big.bin', bytes);
      const stream = store.stream('s/big.bin');
      expect(stream).not.toBeNull();
      expectSameBytes(await readAll(stream!), bytes);
    });

    it('answers null for a missing key', async () => {
      expect(await store.get('missing')).toBeNull();
      expect(store.stream('missing')).toBeNull();
      expect(await store.get('nested/missing')).toBeNull();
    });

    it('replaces the blob under an existing key', async () => {
      await store.put('k', Buffer.from('first version'));
      await store.put('k', Buffer.from('second'));
      expect((await store.get('k'))?.toString()).toBe('second');
    });

    it('deletes, and deleting a missing key is fine', async () => {
      await store.put('gone', Buffer.from('x'));
      await store.delete('gone');
      expect(await store.get('gone')).toBeNull();
      await expect(store.delete('gone')).resolves.toBeUndefined();
      await expect(store.delete('never/was')).resolves.toBeUndefined();
    });

    it('accepts exactly maxBytes', async () => {
      const stored = await store.put('max', chunks([randomBytes(600), randomBytes(400)]), { maxBytes: 1000 });
      expect(stored.size).toBe(1000);
    });

    it('refuses more than maxBytes with BlobTooLargeError and stores nothing', async () => {
      const error = await store
        .put('too-big', chunks([randomBytes(600), randomBytes(401)]), { maxBytes: 1000 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobTooLargeError);
      expect(error).toMatchObject({ key: 'too-big', maxBytes: 1000 });
      expect(await store.get('too-big')).toBeNull();
      await expect(store.put('too-big-buffer', randomBytes(1001), { maxBytes: 1000 })).rejects.toThrow(
        BlobTooLargeError,
      );
    });

    it('stops reading the source as soon as it is over maxBytes', async () => {
      let produced = 0;
      async function* endless(): AsyncGenerator<Uint8Array> {
        for (;;) {
          produced += 1;
          yield randomBytes(1024);
        }
      }
      await expect(store.put('endless', endless(), { maxBytes: 10_000 })).rejects.toThrow(BlobTooLargeError);
      expect(produced).toBeLessThanOrEqual(11);
    });

    it('keeps the previous blob when a replacement fails', async () => {
      await store.put('keep', Buffer.from('good'));
      await expect(store.put('keep', randomBytes(2000), { maxBytes: 1000 })).rejects.toThrow(
        BlobTooLargeError,
      );
      await expect(
        store.put('keep', failingAfter([Buffer.from('half')], new Error('source broke'))),
      ).rejects.toThrow('source broke');
      expect((await store.get('keep'))?.toString()).toBe('good');
    });

    it('stores nothing when the source fails midway', async () => {
      await expect(
        store.put('broken', failingAfter([randomBytes(5000)], new Error('connection reset'))),
      ).rejects.toThrow('connection reset');
      expect(await store.get('broken')).toBeNull();
    });

    it('refuses keys that could escape the store', async () => {
      for (const key of [
        '',
        '../escape',
        'a/../../escape',
        '/etc/passwd',
        'a//b',
        'a/',
        './a',
        'a\\..\\b',
        '..',
      ]) {
        await expect(store.put(key, Buffer.from('x')), JSON.stringify(key)).rejects.toThrow(
          InvalidBlobKeyError,
        );
        await expect(store.get(key)).rejects.toThrow(InvalidBlobKeyError);
        expect(() => store.stream(key)).toThrow(InvalidBlobKeyError);
        await expect(store.delete(key)).rejects.toThrow(InvalidBlobKeyError);
      }
    });

    it('keeps concurrent writers to one key whole: the last rename wins', async () => {
      const versions = Array.from({ length: 5 }, () => randomBytes(50_000));
      await Promise.all(
        versions.map((v) => store.put('race', chunks([v.subarray(0, 25_000), v.subarray(25_000)]))),
      );
      const stored = await store.get('race');
      expect(versions.some((v) => stored?.equals(v))).toBe(true);
    });
  });
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function* chunks(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await Promise.resolve();
    yield part;
  }
}

export async function* failingAfter(parts: Uint8Array[], error: Error): AsyncGenerator<Uint8Array> {
  yield* chunks(parts);
  throw error;
}

/** Buffer.equals instead of toEqual: a deep compare of large buffers is slow and its diff unreadable. */
function expectSameBytes(actual: Buffer | null, expected: Buffer): void {
  expect(actual, 'blob missing').not.toBeNull();
  expect(actual!.length, 'size').toBe(expected.length);
  expect(actual!.equals(expected), 'bytes differ').toBe(true);
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}
