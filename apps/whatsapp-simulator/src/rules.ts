import type { SimClock } from './clock.ts';
import type { MessagingTier } from './options.ts';
import type { CustomerRecord, Pricing } from './store.ts';

export const CUSTOMER_SERVICE_WINDOW_MS = 24 * 60 * 60_000;
export const FREE_ENTRY_POINT_WINDOW_MS = 72 * 60 * 60_000;
const TIER_WINDOW_MS = 24 * 60 * 60_000;

/** A token bucket on the simulator clock: `capacity` at once, refilled at one per `intervalMs`. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly intervalMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  take(now: number): boolean {
    const refill = (now - this.updatedAt) / this.intervalMs;
    if (refill > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + refill);
      this.updatedAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Meta's send-side limits: throughput per business number (130429), the pair rate per business
 * and customer (131056), and the messaging tier: unique customers reached outside a service
 * window per rolling 24 hours.
 */
export class RateRules {
  private readonly numberBuckets = new Map<string, TokenBucket>();
  private readonly pairBuckets = new Map<string, TokenBucket>();
  /** per business number: customer → last time a business-initiated message reached them */
  private readonly tierReach = new Map<string, Map<string, number>>();

  constructor(
    private readonly clock: SimClock,
    private readonly pairRate: { burst: number; intervalMs: number },
  ) {}

  takeThroughput(phoneNumberId: string, mps: number): boolean {
    const now = this.clock.nowMs();
    let bucket = this.numberBuckets.get(phoneNumberId);
    if (!bucket) {
      bucket = new TokenBucket(mps, 1000 / mps, now);
      this.numberBuckets.set(phoneNumberId, bucket);
    }
    return bucket.take(now);
  }

  takePair(phoneNumberId: string, waId: string): boolean {
    const now = this.clock.nowMs();
    const key = `${phoneNumberId}:${waId}`;
    let bucket = this.pairBuckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.pairRate.burst, this.pairRate.intervalMs, now);
      this.pairBuckets.set(key, bucket);
    }
    return bucket.take(now);
  }

  /** Counts a business-initiated send; false when it would reach one customer too many. */
  takeTier(phoneNumberId: string, waId: string, tier: MessagingTier): boolean {
    if (tier === 'unlimited') return true;
    const now = this.clock.nowMs();
    let reach = this.tierReach.get(phoneNumberId);
    if (!reach) {
      reach = new Map();
      this.tierReach.set(phoneNumberId, reach);
    }
    for (const [id, at] of reach) if (now - at >= TIER_WINDOW_MS) reach.delete(id);
    if (!reach.has(waId) && reach.size >= tier) return false;
    reach.set(waId, now);
    return true;
  }

  /** Forget rate state (a test's fresh start; the clock is left alone). */
  reset(): void {
    this.numberBuckets.clear();
    this.pairBuckets.clear();
    this.tierReach.clear();
  }
}

export function windowOpen(
  customer: CustomerRecord | undefined,
  phoneNumberId: string,
  now: number,
): boolean {
  const last = customer?.lastInboundAt.get(phoneNumberId);
  return last !== undefined && now - last < CUSTOMER_SERVICE_WINDOW_MS;
}

function entryPointOpen(customer: CustomerRecord | undefined, phoneNumberId: string, now: number): boolean {
  const last = customer?.lastReferralAt.get(phoneNumberId);
  return last !== undefined && now - last < FREE_ENTRY_POINT_WINDOW_MS;
}

/**
 * Per-message pricing (PMP, from July 2025): service messages inside the window are free, utility
 * templates inside the window are free, a click-to-WhatsApp entry point makes 72 hours free;
 * everything else is billed at its category's rate.
 */
export function pricingFor(
  templateCategory: string | null,
  customer: CustomerRecord | undefined,
  phoneNumberId: string,
  now: number,
): Pricing {
  const category = templateCategory ? templateCategory.toLowerCase() : 'service';
  if (entryPointOpen(customer, phoneNumberId, now)) {
    return { billable: false, pricing_model: 'PMP', category, type: 'free_entry_point' };
  }
  const inWindow = windowOpen(customer, phoneNumberId, now);
  if (category === 'service' || (category === 'utility' && inWindow)) {
    return { billable: false, pricing_model: 'PMP', category, type: 'free_customer_service' };
  }
  return { billable: true, pricing_model: 'PMP', category, type: 'regular' };
}
