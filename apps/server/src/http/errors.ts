/**
 * Every error the API answers with has a stable code from this registry; the HTTP status is chosen
 * here at the edge, never in the domain.
 */
export const errorCodes = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  invalid_request: 400,
  invalid_signature: 401,
  malformed_body: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  conflict: 409,
  // WhatsApp's rules, checked before anything is queued (domain PolicyViolation codes)
  invalid_message: 422,
  window_closed: 422,
  template_not_found: 422,
  template_not_approved: 422,
  template_language_not_found: 422,
  template_parameter_count: 422,
  template_parameter_format: 422,
  recipient_opted_out: 422,
  messaging_tier_limit: 422,
  reaction_target_too_old: 422,
  unsupported_combination: 422,
  media_rejected: 422,
  whatsapp_error: 502,
  not_ready: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  get status(): number {
    return errorCodes[this.code];
  }
}

export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
