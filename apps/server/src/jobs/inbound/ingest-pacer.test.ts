import { describe, expect, it } from 'vitest';
import { IngestPacer } from './ingest-pacer.ts';

/** A pacer on a hand-moved clock, fed a rate the test sets. */
function pacerAt(rate: { value: number }, clock: { ms: number }) {
  return new IngestPacer(() => rate.value, {
    busyPerSecond: 2_000,
    calmMs: 1_000,
    now: () => clock.ms,
    // Time passes at once, but the sleeper still yields to the event loop like a real timer.
    sleep: async (ms) => {
      clock.ms += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  });
}

describe('ingest pacer', () => {
  it('is busy above the threshold, stays busy above half of it, and calms down after calmMs under half', () => {
    const rate = { value: 500 };
    const clock = { ms: 0 };
    const pacer = pacerAt(rate, clock);
    expect(pacer.busy()).toBe(false);
    rate.value = 1_500; // under the threshold: not busy yet
    expect(pacer.busy()).toBe(false);
    rate.value = 2_500;
    expect(pacer.busy()).toBe(true);
    // Applies slowing the acks pull the taken rate under the threshold: still busy.
    rate.value = 1_200;
    clock.ms += 5_000;
    expect(pacer.busy()).toBe(true);
    rate.value = 900; // under half: busy until calmMs has passed
    clock.ms += 999;
    expect(pacer.busy()).toBe(true);
    clock.ms += 2;
    expect(pacer.busy()).toBe(false);
    rate.value = 1_500; // and it takes the full threshold to get busy again
    expect(pacer.busy()).toBe(false);
  });

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
