import { describe, expect, it } from 'vitest';
import {
  backoffWithJitter,
  classifySendFailure,
  envelopeLabels,
  GRAPH_ERROR_REASONS,
  GraphApiError,
  pairRateBackoffMs,
  parseGraphErrorEnvelope,
  type SendFailureClass,
  type SendFailureInput,
} from './graph-error.ts';

describe('classifySendFailure: the class of every code the issue names', () => {
  const cases: [string, SendFailureInput, SendFailureClass][] = [
    ['throughput 130429', { httpStatus: 400, code: 130429 }, 'retry'],
    ['something went wrong 131000', { httpStatus: 500, code: 131000 }, 'retry'],
    ['service unavailable 131016', { httpStatus: 503, code: 131016 }, 'retry'],
    ['API service 2', { httpStatus: 503, code: 2 }, 'retry'],
    ['API too many calls 4', { httpStatus: 400, code: 4 }, 'retry'],
    ['WABA rate limit 80007', { httpStatus: 400, code: 80007 }, 'retry'],
    ['pair rate 131056', { httpStatus: 400, code: 131056 }, 'retry'],
    ['HTTP 500 without envelope', { httpStatus: 500 }, 'retry'],
    ['HTTP 502 with an unknown code', { httpStatus: 502, code: 1 }, 'retry'],
    ['HTTP 429 without a code', { httpStatus: 429 }, 'retry'],
    ['timeout', { httpStatus: null, timedOut: true }, 'retry'],
    ['connection refused', { httpStatus: null, connectionError: true }, 'retry'],
    ['no response, nothing else known', { httpStatus: null }, 'retry'],
    ['2xx we could not read', { httpStatus: 200 }, 'retry'],
    ['token expired 190 (HTTP 401)', { httpStatus: 401, code: 190 }, 'credentials'],
    ['token expired 190 (HTTP 400)', { httpStatus: 400, code: 190 }, 'credentials'],
    ['HTTP 401 without envelope', { httpStatus: 401 }, 'credentials'],
    ['window closed 131047', { httpStatus: 400, code: 131047 }, 'permanent'],
    ['undeliverable 131026', { httpStatus: 400, code: 131026 }, 'permanent'],
    ['spam rate limit 131048', { httpStatus: 400, code: 131048 }, 'permanent'],
    ['ecosystem engagement 131049', { httpStatus: 400, code: 131049 }, 'permanent'],
    ['unsupported type 131051', { httpStatus: 400, code: 131051 }, 'permanent'],
    ['media download 131052', { httpStatus: 400, code: 131052 }, 'permanent'],
    ['media upload 131053', { httpStatus: 400, code: 131053 }, 'permanent'],
    ['parameter count 132000', { httpStatus: 400, code: 132000 }, 'permanent'],
    ['template missing 132001', { httpStatus: 404, code: 132001 }, 'permanent'],
    ['parameter format 132012', { httpStatus: 400, code: 132012 }, 'permanent'],
    ['invalid parameter 100', { httpStatus: 400, code: 100 }, 'permanent'],
    ['not registered 133010', { httpStatus: 400, code: 133010 }, 'permanent'],
    ['a permanent code wins over HTTP 500', { httpStatus: 500, code: 131047 }, 'permanent'],
    ['unknown 4xx code', { httpStatus: 400, code: 131009 }, 'permanent'],
    ['HTTP 400 without envelope', { httpStatus: 400 }, 'permanent'],
  ];

  it.each(cases)('%s', (_name, input, expected) => {
    expect(classifySendFailure(input).class).toBe(expected);
  });

  it('gives retries a delay and the others none', () => {
    for (const [, input, expected] of cases) {
      const { retryAfterMs } = classifySendFailure(input);
      expect(retryAfterMs === undefined).toBe(expected !== 'retry');
    }
  });
});

describe('classifySendFailure: reasons a person understands', () => {
  it('explains the closed window in plain words', () => {
    expect(classifySendFailure({ httpStatus: 400, code: 131047 }).reason).toBe(
      'More than 24 hours have passed since the customer last wrote; send an approved template instead.',
    );
  });

  it('appends Meta details to our sentence', () => {
    const failure = classifySendFailure({
      httpStatus: 400,
      code: 132000,
      title: '(#132000) Number of parameters does not match the expected number of params',
      details: 'body: number of localizable_params (0) does not match the expected number of params (1)',
    });
    expect(failure.reason).toBe(
      "The number of template parameters does not match the template's variables. (Meta: body: number of localizable_params (0) does not match the expected number of params (1))",
    );
  });

  it("uses Meta's own title and details for codes it does not know", () => {
    const failure = classifySendFailure({
      httpStatus: 400,
      code: 131009,
      title: '(#131009) Parameter value is not valid',
      details: 'Button title length is too long',
    });
    expect(failure).toEqual({
      class: 'permanent',
      reason: '(#131009) Parameter value is not valid: Button title length is too long',
    });
  });

  it('says what it knows when Meta said nothing', () => {
    expect(classifySendFailure({ httpStatus: 403 }).reason).toBe('Meta refused the request (HTTP 403).');
    expect(classifySendFailure({ httpStatus: 400, code: 999999 }).reason).toBe(
      'Meta refused the request (HTTP 400, code 999999).',
    );
    expect(classifySendFailure({ httpStatus: null, timedOut: true }).reason).toBe(
      'Meta did not answer in time.',
    );
    expect(classifySendFailure({ httpStatus: null, connectionError: true }).reason).toBe(
      'Could not reach the Graph API (connection failed).',
    );
  });

  it('asks for new credentials on 190 and on HTTP 401', () => {
    const expected =
      'The WhatsApp access token is invalid or has expired; the channel needs new credentials.';
    expect(classifySendFailure({ httpStatus: 401, code: 190 }).reason).toBe(expected);
    expect(classifySendFailure({ httpStatus: 401 }).reason).toBe(expected);
  });

  it('has a reason for every permanent code of the issue', () => {
    for (const code of [
      131047, 131026, 131048, 131049, 131051, 131052, 131053, 132000, 132001, 132012, 100, 133010,
    ]) {
      expect(GRAPH_ERROR_REASONS[code], `code ${code}`).toMatch(/^[A-Z].{20,}\.$/);
      expect(classifySendFailure({ httpStatus: 400, code }).reason).toBe(GRAPH_ERROR_REASONS[code]);
    }
  });
});

describe('retry delays', () => {
  it('waits 4^n seconds on the pair rate limit (131056)', () => {
    const { retryAfterMs } = classifySendFailure({ httpStatus: 400, code: 131056 });
    expect([1, 2, 3, 4].map((n) => retryAfterMs?.(n))).toEqual([4_000, 16_000, 64_000, 256_000]);
    expect(pairRateBackoffMs(0)).toBe(4_000);
  });

  it('backs off exponentially with jitter between half and all of each step', () => {
    expect([1, 2, 3, 4].map((n) => backoffWithJitter(n, () => 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map((n) => backoffWithJitter(n, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(backoffWithJitter(2, () => 0.5)).toBe(1_500);
  });

  it('caps the step at five minutes', () => {
    expect(backoffWithJitter(30, () => 1)).toBe(300_000);
    expect(backoffWithJitter(30, () => 0)).toBe(150_000);
  });

  it('jitters the delay of a throughput error within its step', () => {
    const { retryAfterMs } = classifySendFailure({ httpStatus: 400, code: 130429 });
    for (let i = 0; i < 50; i += 1) {
      const ms = retryAfterMs?.(3) ?? -1;
      expect(ms).toBeGreaterThanOrEqual(2_000);
      expect(ms).toBeLessThanOrEqual(4_000);
    }
  });
});

describe('GraphApiError', () => {
  it('is classified by classifySendFailure as it is', () => {
    const error = new GraphApiError('Graph API: send failed', {
      httpStatus: 400,
      code: 131047,
      title: '(#131047) Re-engagement message',
      failureClass: 'permanent',
    });
    expect(classifySendFailure(error).class).toBe('permanent');
    expect(error).toMatchObject({ timedOut: false, connectionError: false, outcomeUnknown: false });
  });

  it('carries the outcome-unknown flag of a timeout', () => {
    const error = new GraphApiError('Graph API: send timed out', {
      httpStatus: null,
      timedOut: true,
      outcomeUnknown: true,
      failureClass: 'retry',
    });
    expect(error).toMatchObject({ timedOut: true, outcomeUnknown: true, failureClass: 'retry' });
  });
});

describe('parseGraphErrorEnvelope', () => {
  it('reads every field, error_user_* included', () => {
    const body = JSON.stringify({
      error: {
        message: 'Invalid parameter',
        type: 'OAuthException',
        code: 100,
        error_subcode: 2388024,
        error_user_title: 'Content in this language already exists',
        error_user_msg: 'There is already en_US content for this template.',
        fbtrace_id: 'Atrace',
      },
    });
    expect(parseGraphErrorEnvelope(body)).toEqual({
      message: 'Invalid parameter',
      type: 'OAuthException',
      code: 100,
      subcode: 2388024,
      details: undefined,
      userTitle: 'Content in this language already exists',
      userMessage: 'There is already en_US content for this template.',
      fbtraceId: 'Atrace',
    });
  });

  it('answers null for anything that is not an envelope', () => {
    expect(parseGraphErrorEnvelope('<html>')).toBeNull();
    expect(parseGraphErrorEnvelope('{"data":[]}')).toBeNull();
  });
});

describe('envelopeLabels', () => {
  it('names type, code, subcode and fbtrace_id in that order, leaving out what is missing', () => {
    const full = parseGraphErrorEnvelope(
      '{"error":{"message":"m","type":"OAuthException","code":131047,"error_subcode":2494010,"fbtrace_id":"AbC"}}',
    );
    expect(envelopeLabels(full)).toEqual([
      'OAuthException',
      'code 131047',
      'subcode 2494010',
      'fbtrace_id AbC',
    ]);
    expect(envelopeLabels(parseGraphErrorEnvelope('{"error":{"code":0}}'))).toEqual(['code 0']);
    expect(envelopeLabels(null)).toEqual([]);
  });
});
