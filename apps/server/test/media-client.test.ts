import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GraphApiError,
  classifyGraphFailure,
  type GraphErrorFields,
  type GraphFailureClass,
} from '../src/channels/whatsapp/graph-error.ts';
import { GraphMediaClient, sha256Matches, type MediaMeta } from '../src/channels/whatsapp/media-client.ts';
import { FileBlobStore } from '../src/storage/blob-store.ts';
import { startFakeGraphMediaServer, type FakeGraphMediaServer } from './fakes/graph-media-server.ts';

const API_VERSION = 'v23.0';

async function collect(
  body: AsyncIterable<Uint8Array>,
  meta: MediaMeta,
): Promise<{ bytes: Buffer; meta: MediaMeta }> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return { bytes: Buffer.concat(parts), meta };
}

describe('GraphMediaClient against the fake Graph media server', () => {
  let graph: FakeGraphMediaServer;
  let client: GraphMediaClient;
  const errors: unknown[] = [];

  /** Runs a download expected to fail and returns the GraphApiError. */
  async function failure(mediaId: string, token = graph.token, c = client): Promise<GraphApiError> {
    const error = await c.download(mediaId, token, collect).then(
      () => expect.fail('download should have failed'),
      (e: unknown) => e,
    );
    errors.push(error);
    expect(error).toBeInstanceOf(GraphApiError);
    return error as GraphApiError;
  }

  beforeEach(async () => {
    graph = await startFakeGraphMediaServer();
    client = new GraphMediaClient({ graphUrl: graph.url, apiVersion: API_VERSION, timeoutMs: 300 });
  });
  afterEach(async () => {
    await graph.close();
    // No error from any case may carry the access token, in any form a log could print.
    for (const error of errors.splice(0)) {
      const e = error as GraphApiError;
      for (const text of [e.message, String(e), e.stack ?? '', JSON.stringify(e), e.details ?? '']) {
        expect(text).not.toContain(graph.token);
        expect(text).not.toContain('wrong-token-0123456789');
      }
    }
  });

  it('downloads the bytes with Meta’s metadata, sha256 verified', async () => {
    const bytes = randomBytes(150_000);
    graph.addMedia('1001', bytes, 'image/jpeg');
    const result = await client.download('1001', graph.token, collect);
    expect(result.bytes.equals(bytes)).toBe(true);
    expect(result.meta).toEqual({
      mimeType: 'image/jpeg',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      fileSize: bytes.length,
    });
    expect(graph.requests.map((r) => r.path.split('?')[0])).toEqual([
      `/${API_VERSION}/1001`,
      '/whatsapp_business/attachments/',
    ]);
    expect(graph.requests[1]?.path).toContain('mid=1001');
  });

  it('streams straight into a BlobStore', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'switchboard-media-'));
    try {
      const store = new FileBlobStore(dir);
      const bytes = randomBytes(70_000);
      graph.addMedia('2002', bytes, 'audio/ogg');
      const stored = await client.download('2002', graph.token, (body, meta) =>
        store.put(`media/2002.${meta.mimeType === 'audio/ogg' ? 'ogg' : 'bin'}`, body, {
          maxBytes: 16 * 1024 * 1024,
        }),
      );
      expect(stored).toEqual({
        key: 'media/2002.ogg',
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts Meta’s sha256 in base64 as well as hex', async () => {
    const bytes = randomBytes(1000);
    graph.addMedia('3003', bytes, 'image/png', {
      sha256: createHash('sha256').update(bytes).digest('base64'),
    });
    const result = await client.download('3003', graph.token, collect);
    expect(result.bytes.equals(bytes)).toBe(true);
  });

  it('wrong token → credentials, with Meta’s envelope parsed and no second request', async () => {
    graph.addMedia('1001', randomBytes(10), 'image/jpeg');
    const error = await failure('1001', 'wrong-token-0123456789');
    expect(error).toMatchObject({
      failureClass: 'credentials',
      httpStatus: 401,
      code: 190,
      type: 'OAuthException',
    });
    expect(error.fbtraceId).toMatch(/^A/);
    expect(error.message).toContain('Invalid OAuth access token');
    expect(graph.requests).toHaveLength(1);
  });

  it('expired media → expired', async () => {
    graph.addMedia('1001', randomBytes(10), 'image/jpeg');
    graph.expire('1001');
    const error = await failure('1001');
    expect(error).toMatchObject({ failureClass: 'expired', httpStatus: 404, code: 100, subcode: 33 });
    expect(error.message).toContain('does not exist');
  });

  it('unknown media id → expired', async () => {
    expect((await failure('never-uploaded')).failureClass).toBe('expired');
  });

  it('500 on the metadata request → retry', async () => {
    graph.addMedia('1001', randomBytes(10), 'image/jpeg');
    graph.failNext(500);
    const error = await failure('1001');
    expect(error).toMatchObject({ failureClass: 'retry', httpStatus: 500, code: 131000 });
  });

  it('500 without Meta’s envelope on the download → retry', async () => {
    graph.addMedia('1001', randomBytes(10), 'image/jpeg');
    graph.failNext(502, '<html>Bad gateway</html>', { stage: 'download' });
    const error = await failure('1001');
    expect(error).toMatchObject({ failureClass: 'retry', httpStatus: 502 });
    expect(error.code).toBeUndefined();
  });

  it('a slow metadata response → retry (timeout)', async () => {
    graph.addMedia('1001', randomBytes(10), 'image/jpeg');
    graph.slowNext(2_000);
    const started = Date.now();
    const error = await failure('1001');
    expect(error).toMatchObject({ failureClass: 'retry', httpStatus: null });
    expect(error.message).toMatch(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('a download that stalls mid-body → retry (timeout), and the BlobStore keeps nothing', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'switchboard-media-'));
    try {
      const store = new FileBlobStore(dir);
      graph.addMedia('1001', randomBytes(100_000), 'video/mp4');
      graph.slowNext(2_000, { stage: 'download', afterBytes: 10_000 });
      const error = await client
        .download('1001', graph.token, (body) => store.put('media/1001.mp4', body))
        .catch((e: unknown) => e);
      errors.push(error);
      expect(error).toBeInstanceOf(GraphApiError);
      expect(error).toMatchObject({ failureClass: 'retry' });
      expect((error as Error).message).toMatch(/timed out/);
      expect(await store.get('media/1001.mp4')).toBeNull();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('a sha256 mismatch → retry, and the BlobStore keeps nothing', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'switchboard-media-'));
    try {
      const store = new FileBlobStore(dir);
      graph.addMedia('1001', randomBytes(5_000), 'image/jpeg', { sha256: 'ab'.repeat(32) });
      const error = await client
        .download('1001', graph.token, (body) => store.put('media/1001.jpg', body))
        .catch((e: unknown) => e);
      errors.push(error);
      expect(error).toBeInstanceOf(GraphApiError);
      expect(error).toMatchObject({ failureClass: 'retry', httpStatus: 200 });
      expect((error as Error).message).toMatch(/sha256/);
      expect(await store.get('media/1001.jpg')).toBeNull();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('fewer bytes than Meta’s file_size → retry', async () => {
    graph.addMedia('1001', randomBytes(5_000), 'image/jpeg', { fileSize: 6_000, sha256: null });
    const error = await failure('1001');
    expect(error).toMatchObject({ failureClass: 'retry' });
    expect(error.message).toMatch(/cut short: 5000 of 6000 bytes/);
  });

  it('connection refused → retry', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const offline = new GraphMediaClient({ graphUrl: `http://127.0.0.1:${port}`, apiVersion: API_VERSION });
    const error = await failure('1001', graph.token, offline);
    expect(error).toMatchObject({ failureClass: 'retry', httpStatus: null });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('never repeats the token, even if an error body does', async () => {
    graph.failNext(400, {
      error: {
        message: `Malformed access token ${graph.token}`,
        type: 'OAuthException',
        code: 131009,
        error_data: { details: `token ${graph.token} rejected` },
        fbtrace_id: 'Axyz',
      },
    });
    const error = await failure('1001');
    expect(error).toMatchObject({
      failureClass: 'permanent',
      httpStatus: 400,
      code: 131009,
      fbtraceId: 'Axyz',
    });
    expect(error.message).toContain('[redacted]');
    expect(error.details).toBe('token [redacted] rejected');
  });

  it('returns what the sink returns, even when the sink reads nothing', async () => {
    graph.addMedia('1001', randomBytes(200_000), 'application/pdf');
    await expect(client.download('1001', graph.token, async (_body, meta) => meta.fileSize)).resolves.toBe(
      200_000,
    );
    // the abandoned body does not block the next download
    graph.addMedia('1002', Buffer.from('next'), 'text/plain');
    const result = await client.download('1002', graph.token, collect);
    expect(result.bytes.toString()).toBe('next');
  });

  it('sends the bearer token to both requests', async () => {
    const seen: (string | null)[] = [];
    const spying: typeof fetch = async (input, init) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      return fetch(input, init);
    };
    graph.addMedia('1001', Buffer.from('x'), 'text/plain');
    const spied = new GraphMediaClient({ graphUrl: `${graph.url}/`, apiVersion: API_VERSION, fetch: spying });
    await spied.download('1001', graph.token, collect);
    expect(seen).toEqual([`Bearer ${graph.token}`, `Bearer ${graph.token}`]);
  });
});

describe('classifyGraphFailure', () => {
  const cases: [string, GraphErrorFields & { message?: string }, GraphFailureClass][] = [
    ['token expired (code 190, HTTP 400)', { httpStatus: 400, code: 190 }, 'credentials'],
    ['HTTP 401 without envelope', { httpStatus: 401 }, 'credentials'],
    ['permission missing (code 10, HTTP 403)', { httpStatus: 403, code: 10 }, 'credentials'],
    ['API permission (code 200)', { httpStatus: 403, code: 200 }, 'credentials'],
    ['API unknown (code 1)', { httpStatus: 400, code: 1 }, 'retry'],
    ['API service (code 2)', { httpStatus: 503, code: 2 }, 'retry'],
    ['app rate limit (code 4)', { httpStatus: 400, code: 4 }, 'retry'],
    ['WABA rate limit (80007)', { httpStatus: 400, code: 80007 }, 'retry'],
    ['throughput (130429)', { httpStatus: 400, code: 130429 }, 'retry'],
    ['something went wrong (131000)', { httpStatus: 500, code: 131000 }, 'retry'],
    ['service unavailable (131016)', { httpStatus: 503, code: 131016 }, 'retry'],
    ['HTTP 503 without envelope', { httpStatus: 503 }, 'retry'],
    ['HTTP 429', { httpStatus: 429 }, 'retry'],
    ['no response', { httpStatus: null }, 'retry'],
    ['HTTP 404', { httpStatus: 404, code: 100 }, 'expired'],
    ['object does not exist (code 100, subcode 33)', { httpStatus: 400, code: 100, subcode: 33 }, 'expired'],
    [
      'object does not exist, v16+ without subcode',
      { httpStatus: 400, code: 100, message: "Unsupported get request. Object with ID '1' does not exist" },
      'expired',
    ],
    ['media download error (131052)', { httpStatus: 400, code: 131052 }, 'expired'],
    [
      'invalid parameter (code 100)',
      { httpStatus: 400, code: 100, message: 'Invalid parameter' },
      'permanent',
    ],
    ['generic user error (131009)', { httpStatus: 400, code: 131009 }, 'permanent'],
    ['HTTP 400 without envelope', { httpStatus: 400 }, 'permanent'],
  ];

  it.each(cases)('%s', (_name, failure, expected) => {
    expect(classifyGraphFailure(failure)).toBe(expected);
  });
});

describe('sha256Matches', () => {
  const digest = createHash('sha256').update('hello').digest();

  it('accepts hex in any case, base64 with or without padding, and base64url', () => {
    expect(sha256Matches(digest.toString('hex'), digest)).toBe(true);
    expect(sha256Matches(digest.toString('hex').toUpperCase(), digest)).toBe(true);
    expect(sha256Matches(digest.toString('base64'), digest)).toBe(true);
    expect(sha256Matches(digest.toString('base64').replace(/=+$/, ''), digest)).toBe(true);
    expect(sha256Matches(digest.toString('base64url'), digest)).toBe(true);
  });

  it('refuses another digest', () => {
    const other = createHash('sha256').update('world').digest();
    expect(sha256Matches(other.toString('hex'), digest)).toBe(false);
    expect(sha256Matches(other.toString('base64'), digest)).toBe(false);
    expect(sha256Matches('', digest)).toBe(false);
  });
});
