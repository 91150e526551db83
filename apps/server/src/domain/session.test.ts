import { describe, expect, it } from 'vitest';
import {
  CUSTOMER_CARE_WINDOW_MS,
  SESSION_STATUSES,
  decideSessionForInbound,
  isWindowOpen,
  nextWindowEnd,
  windowEndsAt,
  type SessionSnapshot,
  type SessionStatus,
} from './session.ts';

const at = (iso: string): Date => new Date(iso);
const minutes = (n: number): number => n * 60_000;

describe('customer care window', () => {
  it('ends 24 hours after the last inbound', () => {
    expect(CUSTOMER_CARE_WINDOW_MS).toBe(86_400_000);
    expect(windowEndsAt(at('2025-03-01T10:00:00Z'))).toEqual(at('2025-03-02T10:00:00Z'));
  });

  it('is open strictly before its end and closed without one', () => {
    const end = at('2025-03-02T10:00:00Z');
    expect(isWindowOpen(end, at('2025-03-02T09:59:59.999Z'))).toBe(true);
    expect(isWindowOpen(end, end)).toBe(false);
    expect(isWindowOpen(end, at('2025-03-02T10:00:00.001Z'))).toBe(false);
    expect(isWindowOpen(null, at('2025-03-01T00:00:00Z'))).toBe(false);
  });

  it('only moves forward', () => {
    const current = at('2025-03-02T10:00:00Z');
    expect(nextWindowEnd(null, at('2025-03-01T08:00:00Z'))).toEqual(at('2025-03-02T08:00:00Z'));
    expect(nextWindowEnd(current, at('2025-03-01T12:00:00Z'))).toEqual(at('2025-03-02T12:00:00Z'));
    // a late delivery of a message sent two hours earlier keeps the later end
    expect(nextWindowEnd(current, at('2025-03-01T08:00:00Z'))).toEqual(current);
    expect(nextWindowEnd(current, at('2025-03-01T10:00:00Z'))).toEqual(current);
  });

  it('returns new Date objects, never the caller’s', () => {
    const current = at('2025-03-02T10:00:00Z');
    const next = nextWindowEnd(current, at('2025-03-01T08:00:00Z'));
    expect(next).not.toBe(current);
  });
});

describe('decideSessionForInbound', () => {
  const messageAt = at('2025-03-01T12:00:00Z');
  const session = (status: SessionStatus, endedAt: Date | null = null): SessionSnapshot => ({
    id: 'ses_1',
    status,
    endedAt,
    lastInboundAt: at('2025-03-01T09:00:00Z'),
  });

  it('opens a session for an end user who never had one', () => {
    expect(decideSessionForInbound({ current: null, reopenWindowMinutes: 60, messageAt })).toEqual({
      action: 'open',
    });
  });

  it('reuses every session that is not Ended', () => {
    for (const status of SESSION_STATUSES.filter((s) => s !== 'Ended')) {
      expect(
        decideSessionForInbound({ current: session(status), reopenWindowMinutes: 0, messageAt }),
      ).toEqual({
        action: 'reuse',
        sessionId: 'ses_1',
      });
    }
  });

  it('reopens an Ended session within the reopen window, boundary included', () => {
    const endedAt = new Date(messageAt.getTime() - minutes(60));
    expect(
      decideSessionForInbound({ current: session('Ended', endedAt), reopenWindowMinutes: 60, messageAt }),
    ).toEqual({ action: 'reopen', sessionId: 'ses_1' });
    const justEnded = new Date(messageAt.getTime() - 1);
    expect(
      decideSessionForInbound({ current: session('Ended', justEnded), reopenWindowMinutes: 1, messageAt })
        .action,
    ).toBe('reopen');
  });

  it('opens a new session once the reopen window has passed', () => {
    const endedAt = new Date(messageAt.getTime() - minutes(60) - 1);
    expect(
      decideSessionForInbound({ current: session('Ended', endedAt), reopenWindowMinutes: 60, messageAt }),
    ).toEqual({ action: 'open' });
  });

  it('never reopens when the reopen window is 0', () => {
    const endedAt = new Date(messageAt.getTime() - 1);
    expect(
      decideSessionForInbound({ current: session('Ended', endedAt), reopenWindowMinutes: 0, messageAt }),
    ).toEqual({ action: 'open' });
  });

  it('reopens for a late delivery of a message sent before the session ended', () => {
    const endedAt = new Date(messageAt.getTime() + minutes(5));
    expect(
      decideSessionForInbound({ current: session('Ended', endedAt), reopenWindowMinutes: 60, messageAt })
        .action,
    ).toBe('reopen');
  });

  it('opens a new session for an Ended row without endedAt', () => {
    expect(
      decideSessionForInbound({ current: session('Ended', null), reopenWindowMinutes: 60, messageAt }),
    ).toEqual({
      action: 'open',
    });
  });
});
