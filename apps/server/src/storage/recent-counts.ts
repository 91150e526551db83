/**
 * Counts over the last couple of seconds, in 25 ms buckets. Bounded by time, not by samples: a
 * sample-count bound kept only the newest 128 commits, which at 5,000 deliveries/s in groups of two
 * covered ~60 ms of a 200 ms window, so the rate read less than half of what it was.
 */
export class RecentCounts {
  private static readonly BUCKET_MS = 25;
  private readonly counts: Float64Array;
  private readonly starts: Float64Array;

  constructor(readonly spanMs = 2_000) {
    const size = Math.ceil(spanMs / RecentCounts.BUCKET_MS) + 1;
    this.counts = new Float64Array(size);
    this.starts = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
  }

  push(atMs: number, count: number): void {
    const start = Math.floor(atMs / RecentCounts.BUCKET_MS) * RecentCounts.BUCKET_MS;
    const i = (start / RecentCounts.BUCKET_MS) % this.counts.length;
    if (this.starts[i] !== start) {
      this.starts[i] = start;
      this.counts[i] = 0;
    }
    this.counts[i] = this.counts[i]! + count;
  }

  /** Samples per second over the `windowMs` before `nowMs` (at most `spanMs`). */
  perSecond(nowMs: number, windowMs: number): number {
    return (this.count(nowMs - windowMs) * 1000) / windowMs;
  }

  /** Samples pushed at or after `sinceMs` (to bucket precision; at most `spanMs` back). */
  count(sinceMs: number): number {
    const from = Math.floor(sinceMs / RecentCounts.BUCKET_MS) * RecentCounts.BUCKET_MS;
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) if (this.starts[i]! >= from) n += this.counts[i]!;
    return n;
  }
}
