/**
 * Send pacing for Meta's limits, on a caller-supplied clock (ms) so it is testable without waiting:
 * throughput per business number (130429 when exceeded) and the pair rate per customer (131056).
 *
 * Both are token buckets kept as GCRA state: one "theoretical arrival time" (tat) per bucket. The
 * bucket is full when tat ≤ now, so a full bucket carries no information and can be forgotten.
 */

/** Meta's default Cloud API throughput per registered number, in messages per second. */
export const DEFAULT_THROUGHPUT_MPS = 80;
/** The most Meta upgrades a number to. */
export const MAX_THROUGHPUT_MPS = 1000;
/** Numbers also used in the WhatsApp Business app ("coexistence") are fixed at this. */
export const SHARED_WITH_BUSINESS_APP_MPS = 20;

/** Pair rate: about one message per 6 s to the same customer sustained ... */
export const PAIR_RATE_INTERVAL_MS = 6000;
/** ... after a burst of up to 45, which is borrowed from the following 45 intervals (4.5 min). */
export const PAIR_RATE_BURST = 45;

/** The rate to pace a number at: its configured rate within Meta's bounds, or the fixed coexistence rate. */
export function resolveThroughputMps(
  configured: number | null | undefined,
  sharedWithBusinessApp = false,
): number {
  if (sharedWithBusinessApp) return SHARED_WITH_BUSINESS_APP_MPS;
  if (configured === null || configured === undefined || !Number.isFinite(configured) || configured <= 0) {
    return DEFAULT_THROUGHPUT_MPS;
  }
  return Math.min(configured, MAX_THROUGHPUT_MPS);
}

/** Sub-microsecond float noise (1000 / rate) must not add a whole millisecond to a wait. */
const EPSILON_MS = 1e-6;

/** One GCRA step: when a send arriving at `now` may go, and the bucket's next tat. */
function schedule(
  tat: number,
  now: number,
  intervalMs: number,
  toleranceMs: number,
): { waitMs: number; tat: number } {
  const base = Math.max(tat, now);
  const wait = base - toleranceMs - now;
  return { waitMs: wait > EPSILON_MS ? Math.ceil(wait - EPSILON_MS) : 0, tat: base + intervalMs };
}

function checkRate(intervalMs: number, burst: number): void {
  if (!(Number.isFinite(intervalMs) && intervalMs > 0))
    throw new RangeError('rate must be a positive number');
  if (!(Number.isInteger(burst) && burst >= 1))
    throw new RangeError('burst must be a whole number of at least 1');
}

/** `burst` sends at once, then `ratePerSecond` on average. Starts full at `startAt`. */
export class TokenBucket {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private tat: number;

  constructor(ratePerSecond: number, burst: number, startAt: number) {
    this.intervalMs = 1000 / ratePerSecond;
    checkRate(this.intervalMs, burst);
    this.toleranceMs = (burst - 1) * this.intervalMs;
    this.tat = startAt;
  }

  /** Reserves the next slot: ms to wait from `nowMs` before this send may go (0 = now). */
  reserve(nowMs: number): number {
    const next = schedule(this.tat, nowMs, this.intervalMs, this.toleranceMs);
    this.tat = next.tat;
    return next.waitMs;
  }

  /** Takes a slot only if one is free right now; a refusal reserves nothing. */
  tryTake(nowMs: number): boolean {
    const next = schedule(this.tat, nowMs, this.intervalMs, this.toleranceMs);
    if (next.waitMs > 0) return false;
    this.tat = next.tat;
    return true;
  }
}

export interface PairRateOptions {
  /** sustained spacing per customer (Meta: 6 s) */
  intervalMs?: number;
  /** sends allowed at once to one customer (Meta: 45) */
  burst?: number;
  /**
   * Hard cap on remembered customers. Idle ones are forgotten without loss; past the cap the
   * longest-remembered busy one is forgotten too, which can let one send through early (Meta then
   * answers 131056 and the message is retried).
   */
  maxRecipients?: number;
}

/** Meta's pair rate limit, per customer of one business number. */
export class PairRateLimiter {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly maxRecipients: number;
  /** recipient → tat; oldest first (reserve and sweep move an entry to the back) */
  private readonly tats = new Map<string, number>();

  constructor(options: PairRateOptions = {}) {
    this.intervalMs = options.intervalMs ?? PAIR_RATE_INTERVAL_MS;
    const burst = options.burst ?? PAIR_RATE_BURST;
    checkRate(this.intervalMs, burst);
    this.toleranceMs = (burst - 1) * this.intervalMs;
    this.maxRecipients = options.maxRecipients ?? 100_000;
    if (!(Number.isInteger(this.maxRecipients) && this.maxRecipients >= 1)) {
      throw new RangeError('maxRecipients must be a whole number of at least 1');
    }
  }

  /** Reserves the next slot for this customer: ms to wait from `nowMs` (0 = now). */
  reserve(recipient: string, nowMs: number): number {
    const tat = this.tats.get(recipient) ?? nowMs;
    this.tats.delete(recipient);
    const next = schedule(tat, nowMs, this.intervalMs, this.toleranceMs);
    this.tats.set(recipient, next.tat);
    this.sweep(nowMs, 2);
    while (this.tats.size > this.maxRecipients) this.forgetOldest();
    return next.waitMs;
  }

  /** Customers currently remembered (busy, or idle and not yet swept). */
  get size(): number {
    return this.tats.size;
  }

  /** Forgets every customer whose bucket has refilled. */
  prune(nowMs: number): void {
    for (const [recipient, tat] of this.tats) if (tat <= nowMs) this.tats.delete(recipient);
  }

  /**
   * Looks at the `count` least recently used entries: idle ones are dropped, busy ones go to the
   * back. Two per reserve (which adds at most one) keeps the map close to the busy customers only.
   */
  private sweep(nowMs: number, count: number): void {
    for (let i = 0; i < count && this.tats.size > 1; i += 1) {
      const oldest = this.tats.entries().next().value;
      if (oldest === undefined) return;
      const [recipient, tat] = oldest;
      this.tats.delete(recipient);
      if (tat > nowMs) this.tats.set(recipient, tat);
    }
  }

  private forgetOldest(): void {
    const oldest = this.tats.keys().next().value;
    if (oldest !== undefined) this.tats.delete(oldest);
  }
}
