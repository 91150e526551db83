import { createHash } from 'node:crypto';
import type { ReadableStreamReadResult } from 'node:stream/web';
import {
  classifyGraphFailure,
  envelopeLabels,
  GraphApiError,
  type GraphErrorFields,
  isRecord,
  parseGraphErrorEnvelope,
} from './graph-error.ts';
import { GraphEndpoint, type GraphEndpointOptions } from './graph-endpoint.ts';

/**
 * Downloads inbound media through the Graph API as Meta documents it: GET /{version}/{media-id}
 * answers a short-lived URL plus mime_type, sha256 and file_size; GET on that URL, with the same
 * bearer token, answers the bytes. The bytes are handed to a sink as a stream and checked against
 * Meta's sha256 and file_size before the stream ends, so a sink that stores them (BlobStore.put)
 * fails, and commits nothing, when they are corrupt.
 */

/** `timeoutMs`: the longest wait for Graph, response headers or the next chunk of a body (default 30 s). */
export type GraphMediaClientOptions = GraphEndpointOptions;

export interface MediaMeta {
  mimeType: string;
  /** as Meta sent it (hex or base64), null when it sent none */
  sha256: string | null;
  fileSize: number | null;
}

/** Consumes the bytes (e.g. into a BlobStore). Reading to the end is what triggers verification. */
export type MediaSink<T> = (body: AsyncIterable<Uint8Array>, meta: MediaMeta) => Promise<T>;

export class GraphMediaClient {
  private readonly endpoint: GraphEndpoint;

  constructor(options: GraphMediaClientOptions) {
    this.endpoint = new GraphEndpoint(options, 30_000);
  }

  async download<T>(mediaId: string, accessToken: string, sink: MediaSink<T>): Promise<T> {
    const session = new GraphSession(accessToken, this.endpoint);
    const meta = await this.mediaInfo(mediaId, session);
    const what = `download of media ${mediaId}`;
    const { response, timer } = await session.get(meta.url, what);
    const reader = response.body?.getReader() ?? null;
    const state = { finished: false };
    try {
      const read = async (): Promise<ReadableStreamReadResult<Uint8Array>> =>
        reader ? session.wait(timer, what, () => reader.read()) : { done: true, value: undefined };
      const expected = { sha256: meta.sha256, fileSize: meta.fileSize, httpStatus: response.status };
      const { mimeType, sha256, fileSize } = meta;
      return await sink(verifiedChunks(read, expected, state, what), { mimeType, sha256, fileSize });
    } finally {
      timer.disarm();
      // A sink that stopped early (or never read) must not leave the connection hanging.
      if (!state.finished) await reader?.cancel().catch(() => undefined);
    }
  }

  private async mediaInfo(mediaId: string, session: GraphSession): Promise<MediaMeta & { url: string }> {
    const what = `GET media ${mediaId}`;
    const { response, timer } = await session.get(this.endpoint.url([mediaId]), what);
    const info = parseMediaInfo(await session.wait(timer, what, () => response.text()));
    if (!info) {
      throw new GraphApiError(`Graph API: ${what} answered unusable metadata`, {
        httpStatus: response.status,
      });
    }
    return info;
  }
}

/** One download's requests: the token, the timeout, and errors that never carry the token. */
class GraphSession {
  constructor(
    private readonly token: string,
    private readonly endpoint: GraphEndpoint,
  ) {}

  async get(url: string, what: string): Promise<{ response: Response; timer: Timer }> {
    const timer = new Timer(this.endpoint.timeoutMs);
    const headers = { authorization: `Bearer ${this.token}` };
    const response = await this.wait(timer, what, () =>
      this.endpoint.fetch(url, { headers, signal: timer.signal }),
    );
    if (response.ok) return { response, timer };
    const text = await this.wait(timer, what, () => response.text());
    throw this.failure(what, response.status, text);
  }

  /** One network wait under the timeout; transport failures become retry-class GraphApiErrors. */
  async wait<R>(timer: Timer, what: string, work: () => Promise<R>): Promise<R> {
    timer.arm();
    try {
      return await work();
    } catch (error) {
      if (error instanceof GraphApiError) throw error;
      const reason = timer.fired
        ? `timed out after ${this.endpoint.timeoutMs} ms`
        : `failed: ${transportReason(error)}`;
      throw new GraphApiError(this.redact(`Graph API: ${what} ${reason}`), {
        httpStatus: null,
        failureClass: 'retry',
      });
    } finally {
      timer.disarm();
    }
  }

  private failure(what: string, httpStatus: number, bodyText: string): GraphApiError {
    const envelope = parseGraphErrorEnvelope(bodyText);
    const fields: GraphErrorFields = {
      httpStatus,
      code: envelope?.code,
      subcode: envelope?.subcode,
      type: envelope?.type,
      fbtraceId: envelope?.fbtraceId,
      details: envelope?.details === undefined ? undefined : this.redact(envelope.details),
    };
    const failureClass = classifyGraphFailure({ ...fields, message: envelope?.message });
    const labels = envelopeLabels(envelope);
    const said = envelope?.message === undefined ? '' : `: ${envelope.message}`;
    const details = fields.details === undefined ? '' : ` — ${fields.details}`;
    const context = labels.length > 0 ? ` (${labels.join(', ')})` : '';
    const message = `Graph API: ${what} failed with HTTP ${httpStatus}${said}${details}${context}`;
    return new GraphApiError(this.redact(message), { ...fields, failureClass });
  }

  /** Meta never echoes the token, but an error message is the last place we want to find out. */
  private redact(text: string): string {
    return this.token === '' ? text : text.split(this.token).join('[redacted]');
  }
}

/** Aborts the pending fetch or read when Graph stays silent for `ms`. */
class Timer {
  private readonly controller = new AbortController();
  private handle: ReturnType<typeof setTimeout> | undefined;
  fired = false;

  constructor(private readonly ms: number) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(): void {
    this.disarm();
    this.handle = setTimeout(() => {
      this.fired = true;
      this.controller.abort();
    }, this.ms);
  }

  disarm(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

interface ExpectedTransfer {
  sha256: string | null;
  fileSize: number | null;
  httpStatus: number;
}

/** Yields the body and, at its end, throws (retry class) if size or sha256 differ from Meta's. */
async function* verifiedChunks(
  read: () => Promise<ReadableStreamReadResult<Uint8Array>>,
  expected: ExpectedTransfer,
  state: { finished: boolean },
  what: string,
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let size = 0;
  for (;;) {
    const chunk = await read();
    if (chunk.done) break;
    hash.update(chunk.value);
    size += chunk.value.byteLength;
    yield chunk.value;
  }
  state.finished = true;
  const fields = { httpStatus: expected.httpStatus, failureClass: 'retry' as const };
  if (expected.fileSize !== null && size !== expected.fileSize) {
    throw new GraphApiError(
      `Graph API: ${what} was cut short: ${size} of ${expected.fileSize} bytes`,
      fields,
    );
  }
  if (expected.sha256 !== null && !sha256Matches(expected.sha256, hash.digest())) {
    throw new GraphApiError(`Graph API: ${what} failed verification: sha256 differs from Meta's`, fields);
  }
}

/** Meta's sha256 comes as hex from GET /{media-id} and as base64 in webhooks; accept either. */
export function sha256Matches(expected: string, digest: Buffer): boolean {
  const given = expected.trim();
  if (/^[0-9a-f]{64}$/i.test(given)) return given.toLowerCase() === digest.toString('hex');
  const unpadded = given.replace(/=+$/, '');
  return (
    unpadded === digest.toString('base64').replace(/=+$/, '') || unpadded === digest.toString('base64url')
  );
}

function parseMediaInfo(text: string): (MediaMeta & { url: string }) | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(body) || typeof body.url !== 'string' || !/^https?:\/\//i.test(body.url)) return null;
  const size = typeof body.file_size === 'string' ? Number(body.file_size) : body.file_size;
  return {
    url: body.url,
    mimeType: typeof body.mime_type === 'string' ? body.mime_type : 'application/octet-stream',
    sha256: typeof body.sha256 === 'string' && body.sha256 !== '' ? body.sha256 : null,
    fileSize: typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : null,
  };
}

/** A connection error's code (ECONNREFUSED, ECONNRESET, …) without echoing request details. */
function transportReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = isRecord(cause) && typeof cause.code === 'string' ? cause.code : undefined;
  if (code !== undefined) return `connection error (${code})`;
  return error instanceof Error ? `${error.name}: ${error.message}` : 'connection error';
}
