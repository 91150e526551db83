import { randomBytes } from 'node:crypto';

/**
 * Meta's error codes that the simulator produces, with the title Meta puts in the message and the
 * HTTP status its error-code reference lists for each. One registry, so every route answers alike.
 */
export const ERROR_CODES = {
  1: { title: 'An unknown error occurred', status: 400 },
  2: { title: 'Service temporarily unavailable', status: 503 },
  100: { title: 'Invalid parameter', status: 400 },
  190: { title: 'Invalid OAuth access token', status: 401 },
  2500: { title: 'Unknown path components', status: 400 },
  130429: { title: 'Rate limit hit', status: 400 },
  131000: { title: 'Something went wrong', status: 500 },
  131008: { title: 'Required parameter is missing', status: 400 },
  131009: { title: 'Parameter value is not valid', status: 400 },
  131026: { title: 'Message undeliverable', status: 400 },
  131047: { title: 'Re-engagement message', status: 400 },
  131048: { title: 'Spam rate limit hit', status: 400 },
  131051: { title: 'Message type unknown', status: 400 },
  131053: { title: 'Media upload error', status: 400 },
  131056: { title: '(Business Account, Consumer Account) pair rate limit hit', status: 400 },
  132000: { title: 'Number of parameters does not match the expected number of params', status: 400 },
  132001: { title: 'Template name does not exist in the translation', status: 404 },
  132012: { title: 'Parameter format does not match format in the created template', status: 400 },
  132015: { title: 'Template is Paused', status: 400 },
  132016: { title: 'Template is Disabled', status: 400 },
} as const satisfies Record<number, { title: string; status: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODES_HREF =
  'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/';

export interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_user_title?: string;
    error_user_msg?: string;
    is_transient?: boolean;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
}

export interface GraphErrorOptions {
  /** overrides the "(#code) title" message (Graph's own errors word it differently) */
  message?: string;
  subcode?: number;
  type?: string;
  status?: number;
  userTitle?: string;
  userMessage?: string;
  transient?: boolean;
  /** template-management errors carry error_user_* instead of error_data */
  omitErrorData?: boolean;
}

/** A Graph API failure a route throws; the app's error handler turns it into Meta's envelope. */
export class GraphError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly details: string,
    readonly options: GraphErrorOptions = {},
  ) {
    super(options.message ?? `(#${code}) ${ERROR_CODES[code].title}`);
    this.name = 'GraphError';
    this.status = options.status ?? ERROR_CODES[code].status;
  }

  toBody(): GraphErrorBody {
    const o = this.options;
    return {
      error: {
        message: this.message,
        type: o.type ?? 'OAuthException',
        code: this.code,
        ...(o.subcode === undefined ? {} : { error_subcode: o.subcode }),
        ...(o.transient === undefined ? {} : { is_transient: o.transient }),
        ...(o.userTitle === undefined ? {} : { error_user_title: o.userTitle }),
        ...(o.userMessage === undefined ? {} : { error_user_msg: o.userMessage }),
        ...(o.omitErrorData
          ? {}
          : { error_data: { messaging_product: 'whatsapp' as const, details: this.details } }),
        fbtrace_id: fbtraceId(),
      },
    };
  }
}

export function fbtraceId(): string {
  return `A${randomBytes(16).toString('base64url').slice(0, 22)}`;
}

/** The error object Meta puts in webhooks (statuses[].errors, messages[].errors). */
export interface WebhookError {
  code: number;
  title: string;
  message: string;
  error_data: { details: string };
  href: string;
}

export function webhookError(code: ErrorCode, details: string): WebhookError {
  const { title } = ERROR_CODES[code];
  return { code, title, message: title, error_data: { details }, href: ERROR_CODES_HREF };
}

/** Graph's answer for an id it does not know (or that the token may not see). */
export function unknownObject(id: string, method: 'get' | 'post' | 'delete'): GraphError {
  return new GraphError(100, `Object with ID '${id}' does not exist`, {
    message: `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    type: 'GraphMethodException',
    subcode: 33,
    omitErrorData: true,
  });
}
