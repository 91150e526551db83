/**
 * Graph API failures, next to the adapter: the error every Graph call throws, Meta's error envelope,
 * and the classes the job queue decides on (retry / fix credentials / permanent) without knowing
 * Meta's codes. Meta asks clients to decide by `code` and `error_data.details`, not by HTTP status
 * or title, so the classifiers below look at the code first.
 */

/**
 * - retry:       transient (Meta overloaded or rate-limited, 5xx, timeout, connection, corrupt transfer)
 * - credentials: the access token is invalid, expired or lacks permission; retrying cannot help
 * - expired:     the media no longer exists at Meta (media downloads only)
 * - permanent:   the request itself is wrong
 */
export type GraphFailureClass = 'retry' | 'credentials' | 'permanent' | 'expired';

/** What outbound work (sends, templates, uploads) can end in. */
export type SendFailureClass = 'retry' | 'credentials' | 'permanent';

export interface GraphErrorFields {
  /** null when no HTTP response arrived (timeout, connection error) */
  httpStatus: number | null;
  code?: number;
  subcode?: number;
  type?: string;
  fbtraceId?: string;
  /** error.error_data.details: Meta's most specific explanation */
  details?: string;
  /** Meta's own wording (error.message, e.g. "(#131047) Re-engagement message") */
  title?: string;
  /** no answer within the client's timeout */
  timedOut?: boolean;
  /** the connection failed or broke (refused, reset, DNS, TLS) */
  connectionError?: boolean;
  /**
   * The request may have reached Meta and done its work (timeout or reset after the body was
   * sent, or a 2xx we could not read): resending blindly could send a message twice.
   */
  outcomeUnknown?: boolean;
}

export class GraphApiError extends Error {
  readonly httpStatus: number | null;
  readonly code?: number;
  readonly subcode?: number;
  readonly type?: string;
  readonly fbtraceId?: string;
  readonly details?: string;
  readonly title?: string;
  readonly timedOut: boolean;
  readonly connectionError: boolean;
  readonly outcomeUnknown: boolean;
  readonly failureClass: GraphFailureClass;

  constructor(
    message: string,
    fields: GraphErrorFields & { failureClass?: GraphFailureClass },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GraphApiError';
    this.httpStatus = fields.httpStatus;
    this.code = fields.code;
    this.subcode = fields.subcode;
    this.type = fields.type;
    this.fbtraceId = fields.fbtraceId;
    this.details = fields.details;
    this.title = fields.title;
    this.timedOut = fields.timedOut ?? false;
    this.connectionError = fields.connectionError ?? false;
    this.outcomeUnknown = fields.outcomeUnknown ?? false;
    this.failureClass = fields.failureClass ?? classifyGraphFailure({ ...fields, message });
  }
}

// ---------------------------------------------------------------------------------------------
// Media downloads (reading what customers sent)

// 190: token invalid or expired; 0: cannot authenticate; 10 and 200–299: permission missing.
const MEDIA_CREDENTIAL_CODES = new Set([0, 10, 190]);
// 1 unknown, 2 service, 4 app rate limit, 80007 WABA rate limit, 130429 throughput,
// 131000 something went wrong, 131016 service unavailable.
const MEDIA_RETRY_CODES = new Set([1, 2, 4, 80007, 130429, 131000, 131016]);
// 131052: media download error (Meta could not fetch what the user sent).
const MEDIA_GONE_CODES = new Set([131052]);
// code 100 + subcode 33 (or, from v16 on where subcodes are gone, its message): object does not exist.
const NOT_FOUND_TEXT = /does not exist|not found|no longer available/i;

/** The class of a failed media download; adds 'expired' for media Meta no longer has. */
export function classifyGraphFailure(failure: GraphErrorFields & { message?: string }): GraphFailureClass {
  const { httpStatus, code } = failure;
  if (
    httpStatus === 401 ||
    (code !== undefined && (MEDIA_CREDENTIAL_CODES.has(code) || (code >= 200 && code <= 299)))
  ) {
    return 'credentials';
  }
  if (code !== undefined && MEDIA_RETRY_CODES.has(code)) return 'retry';
  if (httpStatus === 404 || (code !== undefined && MEDIA_GONE_CODES.has(code))) return 'expired';
  if (
    code === 100 &&
    (failure.subcode === 33 || NOT_FOUND_TEXT.test(`${failure.message ?? ''} ${failure.details ?? ''}`))
  ) {
    return 'expired';
  }
  if (httpStatus === null || httpStatus >= 500 || httpStatus === 408 || httpStatus === 429) return 'retry';
  if (httpStatus >= 400) return 'permanent';
  // A 2xx/3xx we could not use (truncated JSON, missing fields) is a glitch, not a verdict.
  return 'retry';
}

// ---------------------------------------------------------------------------------------------
// Outbound work (sending, templates, uploads)

const CREDENTIALS_REASON =
  'The WhatsApp access token is invalid or has expired; the channel needs new credentials.';

/** A sentence a person understands for each Graph error code the outbound path knows. */
export const GRAPH_ERROR_REASONS: Readonly<Record<number, string>> = {
  // retry
  2: 'The Graph API is temporarily unavailable or overloaded.',
  4: 'The app made too many Graph API calls in a short time.',
  80007: 'The WhatsApp Business Account reached its API rate limit.',
  130429: "This phone number reached Meta's message throughput limit.",
  131000: 'Something went wrong at Meta while sending.',
  131016: 'WhatsApp is temporarily unavailable.',
  131056: 'Too many messages went to this customer from this number in a short time (pair rate limit).',
  // credentials
  190: CREDENTIALS_REASON,
  // permanent
  100: 'Meta rejected a parameter of the request as invalid.',
  131026:
    'The message could not be delivered: the number may not be on WhatsApp, or the customer has to update WhatsApp or accept its terms.',
  131047: 'More than 24 hours have passed since the customer last wrote; send an approved template instead.',
  131048:
    "WhatsApp limited how many messages this number may send (spam rate limit or messaging limit); check the number's quality and messaging limit in WhatsApp Manager.",
  131049:
    'Meta did not deliver this message to keep customer engagement healthy (it limits marketing messages per customer); do not resend it right away.',
  131051: 'WhatsApp does not support this message type.',
  131052: 'Meta could not download the media for this message.',
  131053: 'Meta could not use the media for this message (unsupported type or size, or an unknown media id).',
  132000: "The number of template parameters does not match the template's variables.",
  132001: 'The template does not exist in this language, or it is not approved.',
  132012: "A template parameter's format does not match the template (e.g. text where an image is expected).",
  132015: 'The template is paused because of low quality; it cannot be sent until it is unpaused.',
  132016: 'The template was disabled because of low quality and can no longer be sent.',
  133010: 'This business phone number is not registered with the WhatsApp Cloud API.',
};

const RETRY_CODES = new Set([2, 4, 80007, 130429, 131000, 131016]);
const PAIR_RATE_CODE = 131056;
const CREDENTIAL_CODES = new Set([190]);
const PERMANENT_CODES = new Set([
  100, 131026, 131047, 131048, 131049, 131051, 131052, 131053, 132000, 132001, 132012, 132015, 132016, 133010,
]);

export interface SendFailureInput {
  /** null when no HTTP response arrived */
  httpStatus: number | null;
  code?: number;
  timedOut?: boolean;
  connectionError?: boolean;
  /** Meta's own title and details; they become the reason for codes we do not know */
  title?: string;
  details?: string;
}

export interface SendFailure {
  class: SendFailureClass;
  /** retry only: how long to wait before attempt `attempt + 1` (attempt counts from 1) */
  retryAfterMs?: (attempt: number) => number;
  reason: string;
}

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 5 * 60_000;

/**
 * Exponential backoff (1 s, 2 s, 4 s … capped at 5 min) with "equal jitter": between half and all of
 * the step, so many senders that failed together do not come back together.
 */
export function backoffWithJitter(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (Math.max(1, attempt) - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/** Meta's advice for 131056: wait 4^n seconds (4 s, 16 s, 64 s …). */
export function pairRateBackoffMs(attempt: number): number {
  return 4 ** Math.max(1, attempt) * 1_000;
}

/** Decides by Meta's code first; HTTP status and transport only when the code says nothing we know. */
export function classifySendFailure(e: SendFailureInput): SendFailure {
  const { code, httpStatus } = e;
  const known = code === undefined ? undefined : GRAPH_ERROR_REASONS[code];
  const withDetails = (text: string) => (e.details ? `${text} (Meta: ${e.details})` : text);

  if ((code !== undefined && CREDENTIAL_CODES.has(code)) || httpStatus === 401) {
    return { class: 'credentials', reason: withDetails(CREDENTIALS_REASON) };
  }
  if (code === PAIR_RATE_CODE && known) {
    return { class: 'retry', retryAfterMs: pairRateBackoffMs, reason: known };
  }
  if (code !== undefined && RETRY_CODES.has(code) && known) {
    return { class: 'retry', retryAfterMs: (n) => backoffWithJitter(n), reason: known };
  }
  if (code !== undefined && PERMANENT_CODES.has(code) && known) {
    return { class: 'permanent', reason: withDetails(known) };
  }
  if (e.timedOut || e.connectionError || httpStatus === null) {
    const reason = e.timedOut
      ? 'Meta did not answer in time.'
      : 'Could not reach the Graph API (connection failed).';
    return { class: 'retry', retryAfterMs: (n) => backoffWithJitter(n), reason };
  }
  // 429 carries no Meta code when a proxy or Graph's edge throttles us: a rate limit all the same.
  if (httpStatus >= 500 || httpStatus === 429) {
    return { class: 'retry', retryAfterMs: (n) => backoffWithJitter(n), reason: metaWords(e) };
  }
  if (httpStatus >= 400) return { class: 'permanent', reason: metaWords(e) };
  // A 2xx/3xx we could not read is a glitch, not a verdict.
  return {
    class: 'retry',
    retryAfterMs: (n) => backoffWithJitter(n),
    reason: `Meta answered HTTP ${httpStatus} with a body we could not read.`,
  };
}

/** Meta's own title and details, for codes without a sentence of ours. */
function metaWords(e: SendFailureInput): string {
  const words = [e.title, e.details].filter((w): w is string => typeof w === 'string' && w !== '');
  if (words.length > 0) return words.join(': ');
  const code = e.code === undefined ? '' : `, code ${e.code}`;
  return `Meta refused the request (HTTP ${e.httpStatus}${code}).`;
}

// ---------------------------------------------------------------------------------------------
// Meta's envelope

/**
 * {"error":{"message","type","code","error_subcode","error_user_title","error_user_msg",
 * "error_data":{"details"},"fbtrace_id"}}. Template management answers error_user_* instead of
 * error_data.
 */
export interface GraphErrorEnvelope {
  message?: string;
  type?: string;
  code?: number;
  subcode?: number;
  details?: string;
  userTitle?: string;
  userMessage?: string;
  fbtraceId?: string;
}

export function parseGraphErrorEnvelope(bodyText: string): GraphErrorEnvelope | null {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return null;
  }
  const error = isRecord(body) ? body.error : undefined;
  if (!isRecord(error)) return null;
  const errorData = isRecord(error.error_data) ? error.error_data : {};
  return {
    message: stringOrUndefined(error.message),
    type: stringOrUndefined(error.type),
    code: numberOrUndefined(error.code),
    subcode: numberOrUndefined(error.error_subcode),
    details: stringOrUndefined(errorData.details),
    userTitle: stringOrUndefined(error.error_user_title),
    userMessage: stringOrUndefined(error.error_user_msg),
    fbtraceId: stringOrUndefined(error.fbtrace_id),
  };
}

/** The envelope's identifying parts, for an error message: type, code, subcode and fbtrace_id. */
export function envelopeLabels(envelope: GraphErrorEnvelope | null): string[] {
  if (!envelope) return [];
  return [
    envelope.type,
    envelope.code === undefined ? undefined : `code ${envelope.code}`,
    envelope.subcode === undefined ? undefined : `subcode ${envelope.subcode}`,
    envelope.fbtraceId === undefined ? undefined : `fbtrace_id ${envelope.fbtraceId}`,
  ].filter((label) => label !== undefined);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const stringOrUndefined = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
// Meta sends codes as numbers; some proxies stringify them.
const numberOrUndefined = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
