import { describe, expect, it } from 'vitest';
import { RecentCounts } from './recent-counts.ts';

describe('recent counts', () => {
  it('sees every sample of the window however many there are', () => {
    // 5,000 deliveries/s in commits of two: 500 samples in 200 ms
    const counts = new RecentCounts();
    for (let t = 0; t < 1_000; t += 0.4) counts.push(10_000 + t, 2);
    expect(counts.count(10_800)).toBeCloseTo(1_000, -1);
    expect(counts.count(10_000)).toBeCloseTo(5_000, -1);
  });

  it('forgets what is older than its span, and buckets that come round again start empty', () => {
    const counts = new RecentCounts(2_000);
    counts.push(1_000, 7);
    expect(counts.count(900)).toBe(7);
    counts.push(1_000 + 2_025 * 4, 1); // the same ring slot, much later
    expect(counts.count(0)).toBe(1);
    expect(counts.count(1_000 + 2_025 * 4 + 100)).toBe(0);
  });
});
