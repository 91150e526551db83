import { describe, expect, it } from 'vitest';
import type { Channel } from '../../domain/model.ts';
import { OutboundLimits } from './limits.ts';

const T0 = 1_700_000_000_000;
const WINDOW_MS = 5_000;

function channel(throughputMps: number): Channel {
  return {
    id: 'ch-1',
    phoneNumberId: '100000000000001',
    wabaId: null,
    displayPhoneNumber: null,
    verifiedName: null,
    name: 'test',
    qualityRating: null,
    messagingLimitTier: null,
    throughputMps,
    unmatchedCustomerRule: 'lead',
    reopenWindowMinutes: 60,
    createCase: true,
    status: 'active',
    accountStatus: null,
    messagingLimit: null,
    sharedWithBusinessApp: false,
    hasOwnAccessToken: false,
    createdAt: new Date(T0),
    updatedAt: new Date(T0),
  };
}

describe('outbound limits', () => {
  it('sends a 46th message to one customer once the pair limit allows it, not never', () => {
    const limits = new OutboundLimits();
    const ch = channel(80);
    // Meta's burst of 45 to one customer, spread so the channel limit is not what waits
    for (let i = 0; i < 45; i += 1)
      expect(limits.reserve(ch, '447700900001', T0 + i * 20, WINDOW_MS).reserved).toBe(true);
    const refused = limits.reserve(ch, '447700900001', T0 + 900, WINDOW_MS);
    expect(refused).toEqual({ waitMs: 6000 - 900, reserved: false });
    // The sender puts the job back until then. Before, that round trip had reserved a slot anyway,
    // and the job came back to a wait of 6 s again, every time.
    const back = limits.reserve(ch, '447700900001', T0 + 6000, WINDOW_MS);
    expect(back).toEqual({ waitMs: 0, reserved: true });
  });

  it('keeps a channel backlog beyond the window from pushing its schedule away', () => {
    const limits = new OutboundLimits();
    const ch = channel(80);
    const outcomes = Array.from({ length: 1000 }, (_, i) =>
      limits.reserve(ch, `44770090${i}`, T0, WINDOW_MS),
    );
    const reserved = outcomes.filter((o) => o.reserved);
    // 80/s for 5 s (a new bucket starts without its burst)
    expect(reserved).toHaveLength(1 + 400);
    expect(Math.max(...reserved.map((o) => o.waitMs))).toBeLessThanOrEqual(WINDOW_MS);
    expect(outcomes.filter((o) => !o.reserved).every((o) => o.waitMs > WINDOW_MS)).toBe(true);
    // 5 s later the 599 refused ones have taken nothing: the next slot is just after the last reserved
    expect(limits.reserve(ch, '447700999999', T0 + WINDOW_MS, WINDOW_MS).waitMs).toBeLessThanOrEqual(13);
  });

  it('spreads calls that come late instead of letting them go at once', () => {
    const limits = new OutboundLimits();
    const ch = channel(1000);
    // a new bucket has no burst: a restarted process does not know what Meta has just counted
    expect(Array.from({ length: 5 }, () => limits.callWaitMs(ch, T0))).toEqual([0, 1, 2, 3, 4]);
    // 30 calls whose slots passed while the process stalled for 100 ms all arrive at once
    const waits = Array.from({ length: 30 }, () => limits.callWaitMs(ch, T0 + 100));
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0)); // a hundredth of a second
    expect(waits.slice(10)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('does not stall when the clock steps back (a stepped wall clock, or a test clock moved back)', () => {
    const limits = new OutboundLimits();
    const ch = channel(80);
    const ahead = T0 + 25 * 3600 * 1000;
    // sends while the clock reads a day ahead…
    for (let i = 0; i < 3; i++) {
      limits.reserve(ch, '447700900001', ahead);
      limits.callWaitMs(ch, ahead);
    }
    // …then the clock is right again: the state from "tomorrow" must not hold sends for a day
    const { waitMs, reserved } = limits.reserve(ch, '447700900001', T0, WINDOW_MS);
    expect(reserved).toBe(true);
    expect(waitMs).toBeLessThanOrEqual(13);
    expect(limits.callWaitMs(ch, T0)).toBeLessThanOrEqual(13);
  });

  it('starts a new rate without a burst', () => {
    const limits = new OutboundLimits();
    const waits = Array.from({ length: 4 }, (_, i) => limits.reserve(channel(80), `44770090${i}`, T0).waitMs);
    expect(waits).toEqual([0, 13, 25, 38]);
  });
});
