import type { Channel } from '../../domain/model.ts';
import { PAIR_RATE_BURST, PAIR_RATE_INTERVAL_MS, resolveThroughputMps } from '../../domain/rate-limit.ts';

/**
 * Send pacing for this process: one token bucket per business number (its throughput) and Meta's
 * per-customer pair limit. Nodes pace independently; run the sender on one node per number set, or
 * lower the configured throughput by the node count (documented in the README).
 *
 * A send either takes its slot in both limits (and waits at most `maxWaitMs` for it) or takes
 * nothing. That matters: the sender puts a job that would wait longer back in the queue until its
 * turn, and a slot reserved for it meanwhile would be lost. With domain/rate-limit.ts's
 * reserve-always buckets, every such round trip pushed the next free slot one interval further:
 * a 46th message to one customer within the pair burst came back after 6 s to a wait of 6 s again,
 * for ever, and a channel backlog of more than 5 s of sends (400 messages at 80/s) pushed the
 * channel's next slot ahead faster than time passed, so sending stopped. Hence the GCRA state
 * here, which can tell a wait without reserving it (same arithmetic as domain/rate-limit.ts).
 */
export class OutboundLimits {
  private readonly channels = new Map<string, { rate: number; gcra: Gcra; wire: Gcra }>();
  private readonly pair = new Gcra(PAIR_RATE_INTERVAL_MS, PAIR_RATE_BURST);
  private readonly probes = new Map<string, number>();
  private reservations = 0;

  /**
   * Reserves the next slot for a send to `to` on `channel` in both limits when it is at most
   * `maxWaitMs` away; otherwise reserves nothing. Either way `waitMs` is how long until it would be
   * free (at the time of asking).
   */
  reserve(
    channel: Channel,
    to: string,
    nowMs: number,
    maxWaitMs = Number.POSITIVE_INFINITY,
  ): { waitMs: number; reserved: boolean } {
    const pairKey = `${channel.id}:${to}`;
    const bucket = this.bucketFor(channel, nowMs).gcra;
    const waitMs = Math.max(this.pair.waitMs(pairKey, nowMs), bucket.waitMs(channel.id, nowMs));
    if (waitMs > maxWaitMs) return { waitMs, reserved: false };
    this.pair.take(pairKey, nowMs);
    bucket.take(channel.id, nowMs);
    // Customers whose pair bucket has refilled carry no state: forget them now and then.
    if (++this.reservations % 1000 === 0) this.pair.prune(nowMs);
    return { waitMs, reserved: true };
  }

  /**
   * Right before the Graph call: ms to wait so that calls, not just reservations, keep to the
   * channel's rate. A reserved slot says when a send may go; the call happens later, after the
   * attempt is recorded and whenever the event loop gets to it. When the process stalls (CPU, GC, a
   * long commit), sends whose slots passed would otherwise all go at once: bench:outbound saw 1,300
   * sends within one second at a limit of 1,000. Its burst is a hundredth of a second (the
   * reservations' tenth absorbs the scheduling jitter already), so a stall is not made up for by a
   * burst either. Always followed by the call, so it reserves.
   */
  callWaitMs(channel: Channel, nowMs: number): number {
    const { wire } = this.bucketFor(channel, nowMs);
    const waitMs = wire.waitMs(channel.id, nowMs);
    wire.take(channel.id, nowMs);
    return waitMs;
  }

  /** While a channel waits for credentials, one send every `everyMs` probes whether they work again. */
  mayProbe(channelId: string, nowMs: number, everyMs: number): boolean {
    const last = this.probes.get(channelId) ?? 0;
    if (nowMs - last < everyMs) return false;
    this.probes.set(channelId, nowMs);
    return true;
  }

  private bucketFor(channel: Channel, nowMs: number): { gcra: Gcra; wire: Gcra } {
    const rate = resolveThroughputMps(channel.throughputMps, channel.sharedWithBusinessApp);
    const current = this.channels.get(channel.id);
    if (current && current.rate === rate) return current;
    // A burst of a tenth of a second keeps us under Meta's per-second count at every instant.
    const burst = Math.max(1, Math.floor(rate / 10));
    const wireBurst = Math.max(1, Math.floor(rate / 100));
    const buckets = { rate, gcra: new Gcra(1000 / rate, burst), wire: new Gcra(1000 / rate, wireBurst) };
    // New buckets (a start, a restart, a new rate) start without their burst: this process cannot
    // know how much of Meta's allowance a previous process or rate has just used.
    buckets.gcra.spend(channel.id, nowMs);
    buckets.wire.spend(channel.id, nowMs);
    this.channels.set(channel.id, buckets);
    return buckets;
  }
}

/** Sub-microsecond float noise (1000 / rate) must not add a whole millisecond to a wait. */
const EPSILON_MS = 1e-6;
/**
 * How far ahead a tat may legitimately be: more calls than the sender has in flight (batches of 200
 * per loop), and more than its 5 s reservation window. A smaller step back only costs its own length.
 */
const MAX_QUEUED_SLOTS = 1_000;
const MIN_LEAD_MS = 60_000;

/**
 * Token buckets kept as GCRA state, one "theoretical arrival time" (tat) per key: `burst` sends at
 * once, then one per `intervalMs`. A key whose tat has passed is a full bucket and needs no entry.
 */
class Gcra {
  private readonly toleranceMs: number;
  /** no sender reserves this far ahead: a tat beyond it was set before the clock stepped back */
  private readonly maxLeadMs: number;
  private readonly tats = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    burst: number,
  ) {
    this.toleranceMs = (burst - 1) * intervalMs;
    this.maxLeadMs = this.toleranceMs + Math.max(MAX_QUEUED_SLOTS * intervalMs, MIN_LEAD_MS);
  }

  /** ms from `nowMs` until a send under `key` conforms (0 = now); reserves nothing */
  waitMs(key: string, nowMs: number): number {
    const wait = this.tatOf(key, nowMs) - this.toleranceMs - nowMs;
    return wait > EPSILON_MS ? Math.ceil(wait - EPSILON_MS) : 0;
  }

  /** takes the next slot under `key` */
  take(key: string, nowMs: number): void {
    this.tats.set(key, this.tatOf(key, nowMs) + this.intervalMs);
  }

  /**
   * The key's tat, never earlier than now. A tat further ahead than any sender reserves means the
   * clock stepped back (NTP, or a test moving its clock): start the key over from an emptied bucket
   * rather than hold its sends until the clock catches up (a day, in the dead-letter test).
   */
  private tatOf(key: string, nowMs: number): number {
    const tat = this.tats.get(key);
    if (tat === undefined || tat <= nowMs) return nowMs;
    return tat - nowMs <= this.maxLeadMs ? tat : this.spend(key, nowMs);
  }

  /** empties the bucket under `key`: the next sends are spaced by `intervalMs` from `nowMs` on */
  spend(key: string, nowMs: number): number {
    const tat = nowMs + this.toleranceMs;
    this.tats.set(key, tat);
    return tat;
  }

  prune(nowMs: number): void {
    for (const [key, tat] of this.tats) if (tat <= nowMs) this.tats.delete(key);
  }
}
