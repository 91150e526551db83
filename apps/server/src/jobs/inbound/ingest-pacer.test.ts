import { describe, expect, it } from 'vitest';
import { RecentCounts } from '../../storage/recent-counts.ts';
import { IngestPacer } from './ingest-pacer.ts';

/** A pacer on a hand-moved clock, fed a rate the test sets. */
function pacerAt(rate: { value: number }, clock: { ms: number }) {
  return new IngestPacer(() => rate.value, options(clock));
}

/** A pacer reading the rate of `load`, as the runtime's reads the inbox's. */
function pacerOn(load: SteadyLoad, clock: { ms: number }) {
  return new IngestPacer((nowMs, windowMs) => load.rate(nowMs, windowMs), options(clock));
}

function options(clock: { ms: number }) {
  return {
    busyPerSecond: 2_000,
    calmMs: 1_000,
    now: () => clock.ms,
    // Time passes at once, but the sleeper still yields to the event loop like a real timer.
    sleep: async (ms: number) => {
      clock.ms += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/** Deliveries stored at a set rate while a hand-moved clock runs, counted as the inbox counts them. */
class SteadyLoad {
  private readonly counts = new RecentCounts();
  constructor(private readonly clock: { ms: number }) {}
  run(perSecond: number, ms: number): void {
    for (let t = 0; t < ms; t += 5) {
      this.clock.ms += 5;
      this.counts.push(this.clock.ms, perSecond / 200);
    }
  }
  rate(nowMs: number, windowMs: number): number {
    return this.counts.perSecond(nowMs, windowMs);
  }
}

describe('ingest pacer', () => {
  it('is busy after 200 ms above the threshold, for at least a second, while the last second averaged above it', () => {
    const clock = { ms: 0 };
    const load = new SteadyLoad(clock);
    const pacer = pacerOn(load, clock);
    load.run(1_900, 1_000); // under the threshold: not busy
    expect(pacer.busy()).toBe(false);
    load.run(2_500, 200);
    expect(pacer.busy()).toBe(true);
    load.run(0, 500); // the burst stopped, but not for a second yet
    expect(pacer.busy()).toBe(true);
    load.run(0, 500);
    expect(pacer.busy()).toBe(false);
    // A steady overload, its 100 ms samples swinging by a third: busy all along.
    load.run(2_500, 200);
    for (let t = 0; t < 5_000; t += 100) {
      load.run(t % 200 === 0 ? 3_000 : 1_600, 100);
      expect(pacer.busy()).toBe(true);
    }
  });

  for (const steady of [1_000, 1_900]) {
    it(`calms down under a steady ${steady}/s, below the threshold, that a burst ran into`, () => {
      const clock = { ms: 0 };
      const load = new SteadyLoad(clock);
      const pacer = pacerOn(load, clock);
      load.run(3_000, 200);
      expect(pacer.busy()).toBe(true);
      // its 100 ms samples swinging around the mean as real arrivals do, some above the threshold
      let calmAfterMs: number | null = null;
      for (let t = 0; t < 3_000; t += 100) {
        load.run(t % 200 === 0 ? steady * 1.4 : steady * 0.6, 100);
        if (!pacer.busy()) {
          calmAfterMs = t + 100;
          break;
        }
      }
      expect(calmAfterMs).not.toBeNull();
      expect(calmAfterMs!).toBeLessThanOrEqual(1_300);
    });
  }

  it('holds a chunk while busy and the delivery is young, and lets it go once the load is gone', async () => {
    const rate = { value: 3_000 };
    const clock = { ms: 0 };
    const pacer = pacerAt(rate, clock);
    const queuedAt = Date.now();
    let released = false;
    const waiting = pacer.beforeChunk(queuedAt).then(() => (released = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(false);
    rate.value = 0;
    await waiting;
    expect(released).toBe(true);
    expect(clock.ms).toBeGreaterThanOrEqual(1_000); // it waited out calmMs
  });

  it('gives an old delivery a fifth of the time while busy', async () => {
    const rate = { value: 3_000 };
    const clock = { ms: 0 };
    const pacer = pacerAt(rate, clock);
    const old = Date.now() - 60_000;
    await pacer.beforeChunk(old); // past maxDefer: runs at once
    expect(clock.ms).toBe(0);
    pacer.afterChunk(10);
    await pacer.beforeChunk(old);
    expect(clock.ms).toBe(40); // rested four times the chunk
  });

  it('runs chunks one at a time, with the sockets polled between them', async () => {
    const pacer = new IngestPacer(() => 0);
    const events: string[] = [];
    const chunk = (name: string) => async () => {
      events.push(`${name} start`);
      // Something the event loop would do between chunks (an HTTP read) is queued mid-chunk.
      setImmediate(() => events.push(`io after ${name}`));
      await Promise.resolve();
      events.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([pacer.inTurn(chunk('a')), pacer.inTurn(chunk('b'))]);
    expect(results).toEqual(['a', 'b']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['a start', 'a end', 'io after a', 'b start', 'b end', 'io after b']);
  });

  it('runs chunks side by side when turns are off (PostgreSQL: each statement is a round trip)', async () => {
    const pacer = new IngestPacer(() => 0, { turns: false });
    const events: string[] = [];
    const chunk = (name: string) => async () => {
      events.push(`${name} start`);
      await new Promise((resolve) => setImmediate(resolve)); // a round trip to the database
      events.push(`${name} end`);
    };
    await Promise.all([pacer.inTurn(chunk('a')), pacer.inTurn(chunk('b'))]);
    expect(events).toEqual(['a start', 'b start', 'a end', 'b end']);
  });

  it('keeps taking turns after a chunk fails', async () => {
    const pacer = new IngestPacer(() => 0);
    const failing = pacer.inTurn(async () => {
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    await expect(pacer.inTurn(async () => 'next')).resolves.toBe('next');
  });
});
