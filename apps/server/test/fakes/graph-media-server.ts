import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP look-alike of Meta's media endpoints: GET /{version}/{media-id} answers the metadata
 * and a short-lived URL; GET on that URL answers the bytes. Both require the bearer token.
 */
export type GraphMediaStage = 'metadata' | 'download';

export interface FakeGraphMediaServer {
  /** base URL to use as graphUrl, e.g. http://127.0.0.1:54321 */
  readonly url: string;
  /** the only token accepted */
  readonly token: string;
  /** sha256 defaults to the hex digest of the bytes; override it (or null) to test verification */
  addMedia(id: string, bytes: Uint8Array, mimeType: string, options?: MediaOverrides): void;
  /** from now on the id answers 404 with Meta's "does not exist" envelope, at both stages */
  expire(id: string): void;
  /** the next request to the stage (default metadata) answers this; body defaults to Meta's envelope */
  failNext(status: number, body?: unknown, options?: { stage?: GraphMediaStage }): void;
  /**
   * The next request to the stage waits `ms` before answering; for downloads with `afterBytes`,
   * it sends that many bytes first and then stalls mid-body.
   */
  slowNext(ms: number, options?: { stage?: GraphMediaStage; afterBytes?: number }): void;
  /** every request, in order */
  readonly requests: { method: string; path: string }[];
  close(): Promise<void>;
}

export interface MediaOverrides {
  sha256?: string | null;
  fileSize?: number;
}

interface StoredMedia {
  bytes: Buffer;
  mimeType: string;
  sha256: string | null;
  fileSize: number;
}

interface Injection {
  stage: GraphMediaStage;
  fail?: { status: number; body: unknown };
  slow?: { ms: number; afterBytes?: number };
}

const METADATA_PATH = /^\/v\d+\.\d+\/([^/?]+)$/;
const DOWNLOAD_PATH = '/whatsapp_business/attachments/';

export async function startFakeGraphMediaServer(): Promise<FakeGraphMediaServer> {
  const token = `EAAG${randomBytes(24).toString('hex')}`;
  const media = new Map<string, StoredMedia>();
  const expired = new Set<string>();
  const injections: Injection[] = [];
  const requests: { method: string; path: string }[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let baseUrl = '';

  const later = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const handle = setTimeout(() => {
        timers.delete(handle);
        resolve();
      }, ms);
      timers.add(handle);
    });

  const takeInjection = (stage: GraphMediaStage): Injection | undefined => {
    const index = injections.findIndex((i) => i.stage === stage);
    return index === -1 ? undefined : injections.splice(index, 1)[0];
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search });
    const metadataMatch = METADATA_PATH.exec(url.pathname);
    const stage: GraphMediaStage | null = metadataMatch
      ? 'metadata'
      : url.pathname === DOWNLOAD_PATH
        ? 'download'
        : null;
    if (req.method !== 'GET' || stage === null) return sendError(res, 400, 100, 'Unsupported request');

    const injection = takeInjection(stage);
    if (injection?.slow && injection.slow.afterBytes === undefined) await later(injection.slow.ms);
    if (injection?.fail) return sendJson(res, injection.fail.status, injection.fail.body);
    if (req.headers.authorization !== `Bearer ${token}`) {
      return sendError(
        res,
        401,
        190,
        'Invalid OAuth access token - Cannot parse access token',
        'OAuthException',
      );
    }

    const id =
      stage === 'metadata'
        ? decodeURIComponent(metadataMatch?.[1] ?? '')
        : (url.searchParams.get('mid') ?? '');
    const item = media.get(id);
    if (!item || expired.has(id)) {
      const message = `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`;
      return sendError(res, 404, 100, message, 'GraphMethodException', 33);
    }

    if (stage === 'metadata') {
      const expiry = Math.floor(Date.now() / 1000) + 300;
      return sendJson(res, 200, {
        messaging_product: 'whatsapp',
        url: `${baseUrl}${DOWNLOAD_PATH}?mid=${encodeURIComponent(id)}&ext=${expiry}&hash=${randomBytes(8).toString('hex')}`,
        mime_type: item.mimeType,
        sha256: item.sha256,
        file_size: item.fileSize,
        id,
      });
    }

    res.writeHead(200, { 'content-type': item.mimeType, 'content-length': item.bytes.length });
    const stallAt = injection?.slow?.afterBytes;
    if (stallAt !== undefined && injection?.slow) {
      res.write(item.bytes.subarray(0, stallAt));
      await later(injection.slow.ms);
      if (res.destroyed) return;
      res.end(item.bytes.subarray(stallAt));
      return;
    }
    res.end(item.bytes);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 1, `fake server error: ${String(error)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    token,
    requests,
    addMedia(id, bytes, mimeType, overrides = {}) {
      const buffer = Buffer.from(bytes);
      const sha256 =
        overrides.sha256 === undefined ? createHash('sha256').update(buffer).digest('hex') : overrides.sha256;
      media.set(id, { bytes: buffer, mimeType, sha256, fileSize: overrides.fileSize ?? buffer.length });
      expired.delete(id);
    },
    expire(id) {
      expired.add(id);
    },
    failNext(status, body, options = {}) {
      injections.push({
        stage: options.stage ?? 'metadata',
        fail: { status, body: body ?? defaultFailureBody(status) },
      });
    },
    slowNext(ms, options = {}) {
      injections.push({ stage: options.stage ?? 'metadata', slow: { ms, afterBytes: options.afterBytes } });
    },
    async close() {
      for (const handle of timers) clearTimeout(handle);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

function defaultFailureBody(status: number): unknown {
  const code = status >= 500 ? 131000 : 100;
  return envelope(code, status >= 500 ? 'Something went wrong' : 'Invalid parameter', 'OAuthException');
}

function envelope(code: number, message: string, type = 'OAuthException', subcode?: number): unknown {
  return {
    error: {
      message,
      type,
      code,
      ...(subcode === undefined ? {} : { error_subcode: subcode }),
      fbtrace_id: `A${randomBytes(10).toString('base64url')}`,
    },
  };
}

function sendError(
  res: http.ServerResponse,
  status: number,
  code: number,
  message: string,
  type?: string,
  subcode?: number,
): void {
  sendJson(res, status, envelope(code, message, type, subcode));
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=UTF-8';
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
