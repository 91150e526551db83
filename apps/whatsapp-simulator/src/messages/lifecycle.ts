import type { SimulatorCore } from '../core.ts';
import { type ErrorCode, webhookError } from '../errors.ts';
import type { BusinessNumber } from '../options.ts';
import type { OutboundMessage, OutboundStatus } from '../store.ts';
import { statusEvent } from '../webhooks/payloads.ts';

export interface AsyncFailure {
  code: ErrorCode;
  details: string;
}

/** Moves a sent message to `status` and tells the business by webhook (unless it is already past it). */
export function advanceStatus(
  core: SimulatorCore,
  business: BusinessNumber,
  m: OutboundMessage,
  status: Exclude<OutboundStatus, 'accepted' | 'failed'>,
): void {
  const order: OutboundStatus[] = ['accepted', 'sent', 'delivered', 'read'];
  if (m.status === 'failed' || order.indexOf(m.status) >= order.indexOf(status)) return;
  core.store.setOutboundStatus(m, status, core.clock.now());
  core.emit(statusEvent(business, m, status, core.clock.unixSeconds()));
}

/**
 * What happens after the API said "accepted": sent → delivered → read on the configured delays,
 * or a single failed status carrying Meta's error object for the asynchronous failures.
 */
export function scheduleStatuses(
  core: SimulatorCore,
  business: BusinessNumber,
  m: OutboundMessage,
  failure: AsyncFailure | null,
): void {
  const { emit, delaysMs, autoRead } = core.options.statuses;
  if (failure) core.counters.sendFailures.add(String(failure.code));
  if (!emit) return;
  if (failure) {
    core.schedule(delaysMs.sent, () => {
      const errors = [webhookError(failure.code, failure.details)];
      m.errors = errors;
      core.store.setOutboundStatus(m, 'failed', core.clock.now());
      core.emit(statusEvent(business, m, 'failed', core.clock.unixSeconds(), errors));
    });
    return;
  }
  core.schedule(delaysMs.sent, () => advanceStatus(core, business, m, 'sent'));
  core.schedule(delaysMs.delivered, () => advanceStatus(core, business, m, 'delivered'));
  if (autoRead) core.schedule(delaysMs.read, () => advanceStatus(core, business, m, 'read'));
}
