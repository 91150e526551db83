/** Pure rules for MessagingSession: which session an inbound message lands in, and the care window. */
import type { SessionStatus } from './model.ts';

export type { SessionStatus };

/** New → Waiting → Active → Inactive → Ended */
export const SESSION_STATUSES: readonly SessionStatus[] = ['New', 'Waiting', 'Active', 'Inactive', 'Ended'];

/** WhatsApp's customer care window: free-form replies are allowed until 24 h after the last inbound. */
export const CUSTOMER_CARE_WINDOW_MS = 24 * 60 * 60 * 1000;

export function windowEndsAt(lastInbound: Date): Date {
  return new Date(lastInbound.getTime() + CUSTOMER_CARE_WINDOW_MS);
}

/** Open strictly before the end instant; a session that never had an inbound has no window. */
export function isWindowOpen(endsAt: Date | null, now: Date): boolean {
  return endsAt !== null && now.getTime() < endsAt.getTime();
}

/** The window only moves forward: a late delivery of an older message must not shorten it. */
export function nextWindowEnd(currentWindowEnd: Date | null, messageAt: Date): Date {
  const candidate = windowEndsAt(messageAt);
  if (currentWindowEnd !== null && currentWindowEnd.getTime() >= candidate.getTime()) {
    return new Date(currentWindowEnd.getTime());
  }
  return candidate;
}

export interface SessionSnapshot {
  id: string;
  status: SessionStatus;
  endedAt: Date | null;
  lastInboundAt: Date | null;
}

export type SessionDecision =
  { action: 'reuse'; sessionId: string } | { action: 'reopen'; sessionId: string } | { action: 'open' };

export interface InboundSessionInput {
  /** the end user's most recent session, or null if they never had one */
  current: SessionSnapshot | null;
  /** the channel's setting; 0 means an ended session is never reopened */
  reopenWindowMinutes: number;
  messageAt: Date;
}

/**
 * Reuse any session that is not Ended; reopen an Ended one that ended at most reopenWindowMinutes
 * before the message (a message older than the end, delivered late, also reopens it: it belongs
 * there); otherwise open a new one.
 */
export function decideSessionForInbound(input: InboundSessionInput): SessionDecision {
  const { current, reopenWindowMinutes, messageAt } = input;
  if (current === null) return { action: 'open' };
  if (current.status !== 'Ended') return { action: 'reuse', sessionId: current.id };
  // An Ended row without endedAt is inconsistent; a fresh session is the safe answer.
  if (current.endedAt === null || !(reopenWindowMinutes > 0)) return { action: 'open' };
  const sinceEnd = messageAt.getTime() - current.endedAt.getTime();
  return sinceEnd <= reopenWindowMinutes * 60_000
    ? { action: 'reopen', sessionId: current.id }
    : { action: 'open' };
}
