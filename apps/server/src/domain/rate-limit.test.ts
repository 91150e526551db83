import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THROUGHPUT_MPS,
  MAX_THROUGHPUT_MPS,
  PAIR_RATE_BURST,
  PAIR_RATE_INTERVAL_MS,
  PairRateLimiter,
  SHARED_WITH_BUSINESS_APP_MPS,
  TokenBucket,
  resolveThroughputMps,
} from './rate-limit.ts';

const T0 = 1_700_000_000_000;

describe('throughput settings', () => {
  it('has Meta’s figures', () => {
    expect([DEFAULT_THROUGHPUT_MPS, MAX_THROUGHPUT_MPS, SHARED_WITH_BUSINESS_APP_MPS]).toEqual([
      80, 1000, 20,
    ]);
    expect([PAIR_RATE_INTERVAL_MS, PAIR_RATE_BURST]).toEqual([6000, 45]);
  });

  it('resolves a channel’s rate', () => {
    expect(resolveThroughputMps(undefined)).toBe(80);
    expect(resolveThroughputMps(null)).toBe(80);
    expect(resolveThroughputMps(0)).toBe(80);
    expect(resolveThroughputMps(250)).toBe(250);
    expect(resolveThroughputMps(5000)).toBe(1000);
    expect(resolveThroughputMps(1000, true)).toBe(20);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through at once, then spaces sends at the rate', () => {
    const bucket = new TokenBucket(10, 3, T0);
    expect([bucket.reserve(T0), bucket.reserve(T0), bucket.reserve(T0)]).toEqual([0, 0, 0]);
    expect(bucket.reserve(T0)).toBe(100);
    expect(bucket.reserve(T0)).toBe(200);
    // 200 ms later the two reserved slots are spent: the next one is 100 ms away.
    expect(bucket.reserve(T0 + 200)).toBe(100);
  });

  it('refills while idle, never beyond the burst', () => {
    const bucket = new TokenBucket(10, 2, T0);
    bucket.reserve(T0);
    bucket.reserve(T0);
    expect(bucket.reserve(T0 + 10_000)).toBe(0);
    expect(bucket.reserve(T0 + 10_000)).toBe(0);
    expect(bucket.reserve(T0 + 10_000)).toBe(100);
  });

  it('keeps the long-run rate exact when waits are fractional (80/s = 12.5 ms)', () => {
    const bucket = new TokenBucket(80, 1, T0);
    const waits = Array.from({ length: 5 }, () => bucket.reserve(T0));
    // Waits are rounded up to whole ms; the slots themselves stay 12.5 ms apart.
    expect(waits).toEqual([0, 13, 25, 38, 50]);
    expect(bucket.reserve(T0 + 1000)).toBe(0);
  });

  it('sends exactly rate × seconds over a long run', () => {
    const bucket = new TokenBucket(80, 80, T0);
    let sent = 0;
    for (let t = T0; t < T0 + 10_000; t += 1) while (bucket.tryTake(t)) sent += 1;
    // 80 at start plus 80 per second for the remaining 9.999 s.
    expect(sent).toBe(80 + Math.floor((9_999 * 80) / 1000));
  });

  it('tryTake takes only a free slot and reserves nothing when refused', () => {
    const bucket = new TokenBucket(1, 1, T0);
    expect(bucket.tryTake(T0)).toBe(true);
    expect(bucket.tryTake(T0 + 999)).toBe(false);
    expect(bucket.tryTake(T0 + 999)).toBe(false);
    expect(bucket.tryTake(T0 + 1000)).toBe(true);
  });

  it('copes with a rate whose interval is not a whole float (1/6 per s)', () => {
    const bucket = new TokenBucket(1 / 6, 1, T0);
    expect(bucket.reserve(T0)).toBe(0);
    expect(bucket.reserve(T0)).toBe(6000);
    expect(bucket.reserve(T0)).toBe(12000);
  });

  it('rejects nonsense settings', () => {
    expect(() => new TokenBucket(0, 1, T0)).toThrow(RangeError);
    expect(() => new TokenBucket(10, 0, T0)).toThrow(RangeError);
    expect(() => new TokenBucket(10, 1.5, T0)).toThrow(RangeError);
  });
});

describe('PairRateLimiter', () => {
  it('allows Meta’s burst of 45, then one per 6 s, per recipient', () => {
    const pair = new PairRateLimiter();
    const waits = Array.from({ length: 47 }, () => pair.reserve('15550001', T0));
    expect(waits.slice(0, 45)).toEqual(Array.from({ length: 45 }, () => 0));
    expect(waits.slice(45)).toEqual([6000, 12000]);
    // Another customer is not affected.
    expect(pair.reserve('15550002', T0)).toBe(0);
  });

  it('is configurable', () => {
    const pair = new PairRateLimiter({ intervalMs: 1000, burst: 2 });
    expect([pair.reserve('a', T0), pair.reserve('a', T0), pair.reserve('a', T0)]).toEqual([0, 0, 1000]);
    expect(pair.reserve('a', T0 + 5000)).toBe(0);
  });

  it('forgets idle recipients without changing any answer', () => {
    const pair = new PairRateLimiter({ intervalMs: 1000, burst: 1 });
    for (let i = 0; i < 1000; i += 1) pair.reserve(`r${i}`, T0 + i * 10_000);
    // Each recipient was idle again 1 s after its send, so only a handful are remembered.
    expect(pair.size).toBeLessThanOrEqual(2);
    expect(pair.reserve('r0', T0 + 10_000_000)).toBe(0);
  });

  it('keeps busy recipients while forgetting idle ones', () => {
    const pair = new PairRateLimiter({ intervalMs: 1000, burst: 1 });
    pair.reserve('busy', T0);
    pair.reserve('busy', T0); // its next slot is T0 + 2000
    for (let i = 0; i < 50; i += 1) pair.reserve(`idle${i}`, T0 + 1);
    expect(pair.reserve('busy', T0 + 1)).toBe(1999);
  });

  it('prune drops every refilled recipient', () => {
    const pair = new PairRateLimiter({ intervalMs: 1000, burst: 1 });
    for (let i = 0; i < 10; i += 1) pair.reserve(`r${i}`, T0);
    pair.prune(T0 + 999);
    expect(pair.size).toBeGreaterThan(0);
    pair.prune(T0 + 1000);
    expect(pair.size).toBe(0);
  });

  it('never remembers more than maxRecipients', () => {
    const pair = new PairRateLimiter({ intervalMs: 60_000, burst: 1, maxRecipients: 100 });
    for (let i = 0; i < 1000; i += 1) pair.reserve(`r${i}`, T0);
    expect(pair.size).toBe(100);
  });

  it('rejects nonsense settings', () => {
    expect(() => new PairRateLimiter({ intervalMs: 0 })).toThrow(RangeError);
    expect(() => new PairRateLimiter({ burst: 0 })).toThrow(RangeError);
    expect(() => new PairRateLimiter({ maxRecipients: 0 })).toThrow(RangeError);
  });
});
