import {
  classifySendFailure,
  envelopeLabels,
  GraphApiError,
  type GraphErrorFields,
  isRecord,
  parseGraphErrorEnvelope,
} from './graph-error.ts';
import { GraphEndpoint, type GraphEndpointOptions } from './graph-endpoint.ts';

/**
 * The Cloud API calls outbound work needs: send, mark read, upload media, and manage message
 * templates. The caller owns credentials: every method takes the access token, which goes into the
 * Authorization header and nowhere else (never a URL, an error or a log line). Every failure is a
 * GraphApiError whose failureClass comes from classifySendFailure.
 */

/** `timeoutMs`: the longest wait for one call, request and answer together (default 15 s). */
export type GraphClientOptions = GraphEndpointOptions;

export interface SendMessageResult {
  wamid: string;
  /** the customer's WhatsApp id as Meta normalised it */
  waId: string | null;
  /** 'accepted' for templates (Meta's message_status), null when Meta sends none */
  messageStatus: string | null;
}

export interface MediaFile {
  bytes: Buffer;
  mimeType: string;
  fileName: string;
}

export interface GraphTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: unknown[];
  parameterFormat: 'positional' | 'named';
  /** GREEN | YELLOW | RED | UNKNOWN; null when Meta sends none */
  qualityScore: string | null;
  /** null unless rejected (Meta's "NONE" included) */
  rejectedReason: string | null;
}

export interface CreateTemplateInput {
  name: string;
  language: string;
  category: string;
  components: unknown[];
  parameterFormat?: 'positional' | 'named';
}

export interface CreatedTemplate {
  id: string;
  status: string;
  category: string;
}

const TEMPLATE_FIELDS = [
  'id',
  'name',
  'language',
  'status',
  'category',
  'components',
  'parameter_format',
  'quality_score',
  'rejected_reason',
].join(',');
const TEMPLATE_PAGE_SIZE = 100;
/** a runaway-paging guard: 1,000 pages of 100 is far beyond Meta's per-WABA template limit */
const MAX_TEMPLATE_PAGES = 1_000;

// Connection failures that happen before a request byte leaves: Meta cannot have seen the request.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface GraphRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** path segments after the version, encoded here */
  path: string[];
  query?: Record<string, string | undefined>;
  json?: Record<string, unknown>;
  form?: FormData;
  /** a short description for error messages: never a URL, never the token */
  what: string;
}

export class GraphClient {
  private readonly endpoint: GraphEndpoint;

  constructor(options: GraphClientOptions) {
    this.endpoint = new GraphEndpoint(options, 15_000);
  }

  /** POST /{phone-number-id}/messages with a body built by toGraphMessage. */
  async sendMessage(
    phoneNumberId: string,
    token: string,
    body: Record<string, unknown>,
  ): Promise<SendMessageResult> {
    const request: GraphRequest = {
      method: 'POST',
      path: [phoneNumberId, 'messages'],
      json: { messaging_product: 'whatsapp', ...body },
      what: `send from phone number ${phoneNumberId}`,
    };
    const answer = await this.call(token, request);
    const messages = isRecord(answer) && Array.isArray(answer.messages) ? answer.messages : [];
    const contacts = isRecord(answer) && Array.isArray(answer.contacts) ? answer.contacts : [];
    const message: unknown = messages[0];
    const contact: unknown = contacts[0];
    if (!isRecord(message) || typeof message.id !== 'string' || message.id === '') {
      throw this.unusable(token, request, 'no message id');
    }
    return {
      wamid: message.id,
      waId: isRecord(contact) && typeof contact.wa_id === 'string' ? contact.wa_id : null,
      messageStatus: typeof message.message_status === 'string' ? message.message_status : null,
    };
  }

  /** Marks an inbound message (and every earlier one) read; optionally shows "typing…". */
  async markRead(
    phoneNumberId: string,
    token: string,
    wamid: string,
    typingIndicator: boolean,
  ): Promise<void> {
    const request: GraphRequest = {
      method: 'POST',
      path: [phoneNumberId, 'messages'],
      json: {
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: wamid,
        ...(typingIndicator ? { typing_indicator: { type: 'text' } } : {}),
      },
      what: `mark read on phone number ${phoneNumberId}`,
    };
    await this.expectSuccess(token, request);
  }

  /** POST /{phone-number-id}/media (multipart); the id is then usable in media messages. */
  async uploadMedia(phoneNumberId: string, token: string, file: MediaFile): Promise<{ id: string }> {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', file.mimeType);
    form.set('file', new Blob([file.bytes], { type: file.mimeType }), file.fileName);
    const request: GraphRequest = {
      method: 'POST',
      path: [phoneNumberId, 'media'],
      form,
      what: `media upload on phone number ${phoneNumberId}`,
    };
    const answer = await this.call(token, request);
    if (!isRecord(answer) || typeof answer.id !== 'string' || answer.id === '') {
      throw this.unusable(token, request, 'no media id');
    }
    return { id: answer.id };
  }

  /** Every template of the WABA, following Meta's cursors page by page. */
  async listTemplates(wabaId: string, token: string): Promise<GraphTemplate[]> {
    const templates: GraphTemplate[] = [];
    const seenCursors = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const request: GraphRequest = {
        method: 'GET',
        path: [wabaId, 'message_templates'],
        query: { fields: TEMPLATE_FIELDS, limit: String(TEMPLATE_PAGE_SIZE), after },
        what: `template list of WABA ${wabaId}`,
      };
      const answer = await this.call(token, request);
      if (!isRecord(answer) || !Array.isArray(answer.data)) throw this.unusable(token, request, 'no data');
      for (const raw of answer.data) {
        const template = parseGraphTemplate(raw);
        if (!template) throw this.unusable(token, request, 'a template without id, name or language');
        templates.push(template);
      }
      const next = nextCursor(answer.paging);
      if (next === null) return templates;
      // No cursor, a cursor seen before, or endless pages: following on could loop forever.
      if (next === undefined || seenCursors.has(next) || seenCursors.size >= MAX_TEMPLATE_PAGES) {
        throw this.unusable(token, request, 'paging that does not end');
      }
      seenCursors.add(next);
      after = next;
    }
  }

  /** Submits a template for Meta's review; it starts PENDING (or APPROVED when Meta decides at once). */
  async createTemplate(wabaId: string, token: string, input: CreateTemplateInput): Promise<CreatedTemplate> {
    const request: GraphRequest = {
      method: 'POST',
      path: [wabaId, 'message_templates'],
      json: {
        name: input.name,
        language: input.language,
        category: input.category,
        components: input.components,
        ...(input.parameterFormat ? { parameter_format: input.parameterFormat.toUpperCase() } : {}),
      },
      what: `template creation on WABA ${wabaId}`,
    };
    const answer = await this.call(token, request);
    if (!isRecord(answer) || typeof answer.id !== 'string' || typeof answer.status !== 'string') {
      throw this.unusable(token, request, 'no template id or status');
    }
    const category = typeof answer.category === 'string' ? answer.category : input.category;
    return { id: answer.id, status: answer.status, category };
  }

  /** Deletes every language of `name`, or only the one whose id is `hsmId`. */
  async deleteTemplate(wabaId: string, token: string, name: string, hsmId?: string): Promise<void> {
    await this.expectSuccess(token, {
      method: 'DELETE',
      path: [wabaId, 'message_templates'],
      query: { name, hsm_id: hsmId },
      what: `template deletion on WABA ${wabaId}`,
    });
  }

  private async expectSuccess(token: string, request: GraphRequest): Promise<void> {
    const answer = await this.call(token, request);
    if (!isRecord(answer) || answer.success !== true) throw this.unusable(token, request, 'no success');
  }

  /** One Graph call under one deadline; answers the parsed JSON of a 2xx or throws GraphApiError. */
  private async call(token: string, request: GraphRequest): Promise<unknown> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.endpoint.timeoutMs);
    let response: Response | undefined;
    try {
      response = await this.endpoint.fetch(this.endpoint.url(request.path, request.query), {
        method: request.method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(request.json ? { 'content-type': 'application/json' } : {}),
        },
        body: request.json ? JSON.stringify(request.json) : request.form,
        signal: controller.signal,
      });
      const text = await response.text();
      if (!response.ok) throw this.refusal(token, request, response.status, text);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw this.unusable(token, request, 'a body that is not JSON', response.status);
      }
    } catch (error) {
      if (error instanceof GraphApiError) throw error;
      throw this.transportFailure(token, request, error, timedOut, response);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Meta answered with an error envelope (or at least an error status). */
  private refusal(token: string, request: GraphRequest, httpStatus: number, text: string): GraphApiError {
    const envelope = parseGraphErrorEnvelope(text);
    const detailText = envelope?.details ?? envelope?.userMessage;
    const titleText = envelope?.userTitle ?? envelope?.message;
    const fields: GraphErrorFields = {
      httpStatus,
      code: envelope?.code,
      subcode: envelope?.subcode,
      type: envelope?.type,
      fbtraceId: envelope?.fbtraceId,
      details: detailText === undefined ? undefined : redact(detailText, token),
      title: titleText === undefined ? undefined : redact(titleText, token),
    };
    const said = [...new Set([envelope?.message, envelope?.userTitle, detailText])].filter(
      (part): part is string => part !== undefined && part !== '',
    );
    const labels = envelopeLabels(envelope);
    const message =
      `Graph API: ${request.what} failed with HTTP ${httpStatus}` +
      (said.length > 0 ? `: ${said.join(' — ')}` : '') +
      (labels.length > 0 ? ` (${labels.join(', ')})` : '');
    return new GraphApiError(redact(message, token), {
      ...fields,
      failureClass: classifySendFailure(fields).class,
    });
  }

  /** A 2xx we cannot use. For a send, Meta may well have accepted it: the outcome is unknown. */
  private unusable(token: string, request: GraphRequest, what: string, httpStatus = 200): GraphApiError {
    const fields: GraphErrorFields = { httpStatus, outcomeUnknown: hasEffects(request) };
    return new GraphApiError(
      redact(`Graph API: ${request.what} answered HTTP ${httpStatus} with ${what}`, token),
      {
        ...fields,
        failureClass: classifySendFailure(fields).class,
      },
    );
  }

  /** No (complete) answer: a timeout or a connection failure. */
  private transportFailure(
    token: string,
    request: GraphRequest,
    error: unknown,
    timedOut: boolean,
    response: Response | undefined,
  ): GraphApiError {
    const code = errorCode(error);
    // Once an answer has started, its status tells (2xx: Meta did the work). Before that, only a
    // failure to connect proves Meta never saw the request.
    const notSent = !timedOut && code !== undefined && NOT_SENT_CODES.has(code);
    const maybeDone = response ? response.ok : !notSent;
    const fields: GraphErrorFields = {
      httpStatus: response?.status ?? null,
      timedOut,
      connectionError: !timedOut,
      outcomeUnknown: hasEffects(request) && maybeDone,
    };
    const why = timedOut
      ? `timed out after ${this.endpoint.timeoutMs} ms`
      : `failed: connection error${code === undefined ? '' : ` (${code})`}`;
    return new GraphApiError(redact(`Graph API: ${request.what} ${why}`, token), {
      ...fields,
      failureClass: classifySendFailure(fields).class,
    });
  }
}

/** Meta's template JSON → GraphTemplate; null when the keys we store it by are missing. */
export function parseGraphTemplate(raw: unknown): GraphTemplate | null {
  if (!isRecord(raw)) return null;
  const { id, name, language } = raw;
  if (typeof id !== 'string' || typeof name !== 'string' || typeof language !== 'string') return null;
  const quality = isRecord(raw.quality_score) ? raw.quality_score.score : raw.quality_score;
  const rejected = raw.rejected_reason;
  return {
    id,
    name,
    language,
    status: typeof raw.status === 'string' ? raw.status : 'UNKNOWN',
    category: typeof raw.category === 'string' ? raw.category : 'UNKNOWN',
    components: Array.isArray(raw.components) ? raw.components : [],
    parameterFormat:
      typeof raw.parameter_format === 'string' && raw.parameter_format.toUpperCase() === 'NAMED'
        ? 'named'
        : 'positional',
    qualityScore: typeof quality === 'string' && quality !== '' ? quality : null,
    rejectedReason: typeof rejected === 'string' && rejected !== '' && rejected !== 'NONE' ? rejected : null,
  };
}

/**
 * The cursor of the next page: null when there is none (no `paging.next`), undefined when Meta says
 * there is one but gives no cursor. We build the next URL ourselves from the cursor so every page
 * keeps our fields and the token never follows a URL we did not make.
 */
function nextCursor(paging: unknown): string | null | undefined {
  if (!isRecord(paging) || typeof paging.next !== 'string' || paging.next === '') return null;
  const cursors = isRecord(paging.cursors) ? paging.cursors : {};
  if (typeof cursors.after === 'string' && cursors.after !== '') return cursors.after;
  try {
    return new URL(paging.next, 'http://relative.invalid').searchParams.get('after') ?? undefined;
  } catch {
    return undefined;
  }
}

/** Reads have no effect at Meta, so resending them is always safe. */
function hasEffects(request: GraphRequest): boolean {
  return request.method !== 'GET';
}

/** The system error code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET …) behind a fetch failure. */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; isErrorLike(e) && depth < 4; e = e.cause, depth += 1) {
    if (typeof e.code === 'string') return e.code;
    const first: unknown = Array.isArray(e.errors) ? e.errors[0] : undefined;
    if (isErrorLike(first) && typeof first.code === 'string') return first.code;
  }
  return undefined;
}

function isErrorLike(value: unknown): value is { code?: unknown; cause?: unknown; errors?: unknown } {
  return typeof value === 'object' && value !== null;
}

/** Meta never echoes the token, but an error message is the last place we want to find out. */
function redact(text: string, token: string): string {
  return token === '' ? text : text.split(token).join('[redacted]');
}
