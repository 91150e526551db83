import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Where media bytes live. Keys are relative paths of safe segments ("media/2025/03/abc.jpg"); a
 * put either stores the whole blob under its key or leaves the key as it was.
 */
export interface BlobStore {
  /** Stores the bytes (replacing any blob under the key); sha256 is lower-case hex. */
  put(key: string, data: AsyncIterable<Uint8Array> | Buffer, options?: PutOptions): Promise<StoredBlob>;
  get(key: string): Promise<Buffer | null>;
  /**
   * A Node.js Readable of the blob, or null when there is none. Synchronous so HTTP handlers can
   * pipe it straight away; a blob deleted after the call surfaces as a stream error.
   */
  stream(key: string): Readable | null;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
}

export interface PutOptions {
  /** refuse (BlobTooLargeError) as soon as more than this many bytes have arrived */
  maxBytes?: number;
}

export interface StoredBlob {
  key: string;
  size: number;
  sha256: string;
}

/** Also usable by a sink that refuses before storing (Meta announced a file_size over the limit). */
export class BlobTooLargeError extends Error {
  readonly code = 'blob_too_large';
  constructor(
    readonly maxBytes: number,
    readonly key: string | null = null,
  ) {
    super(`blob ${key === null ? '' : `${key} `}is larger than ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

export class InvalidBlobKeyError extends Error {
  readonly code = 'invalid_blob_key';
  constructor(readonly key: string) {
    super(`invalid blob key ${JSON.stringify(key.slice(0, 200))}`);
    this.name = 'InvalidBlobKeyError';
  }
}

// Segments may not start with '.', which rules out '..' and keeps our '.tmp' directory unreachable.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_KEY_LENGTH = 512;

/** Throws InvalidBlobKeyError unless every '/'-separated segment is a plain file name. */
export function assertValidBlobKey(key: string): void {
  const ok = key.length > 0 && key.length <= MAX_KEY_LENGTH && key.split('/').every((s) => SEGMENT.test(s));
  if (!ok) throw new InvalidBlobKeyError(key);
}

/** Blobs as files under one directory; writes go to `<root>/.tmp` first and are renamed into place. */
export class FileBlobStore implements BlobStore {
  readonly root: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tmpDir = path.join(this.root, '.tmp');
  }

  async put(
    key: string,
    data: AsyncIterable<Uint8Array> | Buffer,
    options: PutOptions = {},
  ): Promise<StoredBlob> {
    const finalPath = this.pathOf(key);
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    await fsp.mkdir(this.tmpDir, { recursive: true });
    const tmpPath = path.join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const file = await fsp.open(tmpPath, 'wx');
    try {
      for await (const chunk of Buffer.isBuffer(data) ? [data] : data) {
        size += chunk.byteLength;
        // Checked before writing, so an oversized upload never lands more than maxBytes on disk.
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes, key);
        hash.update(chunk);
        await file.write(chunk);
      }
      // Flush before the rename: after a crash the final key holds the whole file or nothing.
      await file.datasync();
      await file.close();
      await fsp.mkdir(path.dirname(finalPath), { recursive: true });
      await fsp.rename(tmpPath, finalPath);
    } catch (error) {
      await file.close().catch(() => undefined);
      await fsp.rm(tmpPath, { force: true });
      throw error;
    }
    return { key, size, sha256: hash.digest('hex') };
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await fsp.readFile(this.pathOf(key));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  stream(key: string): Readable | null {
    const filePath = this.pathOf(key);
    try {
      if (!fs.statSync(filePath).isFile()) return null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    return fs.createReadStream(filePath);
  }

  async delete(key: string): Promise<void> {
    try {
      await fsp.unlink(this.pathOf(key));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  private pathOf(key: string): string {
    assertValidBlobKey(key);
    const resolved = path.resolve(this.root, ...key.split('/'));
    // Belt and braces: the key check already forbids anything that could leave the root.
    if (!resolved.startsWith(this.root + path.sep)) throw new InvalidBlobKeyError(key);
    return resolved;
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
