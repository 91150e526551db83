/** The server's Clock shape, so a test can hand the same clock to Switchboard and to the simulator. */
export interface ClockSource {
  now(): Date;
}

/**
 * The simulator's notion of "now": a base clock plus an offset that tests push forward with
 * `advance(ms)`. Windows, rate limits, tier counting and media URL expiry all read this clock, so
 * a test can close a 24-hour window without waiting 24 hours.
 */
export class SimClock implements ClockSource {
  private offsetMs = 0;

  constructor(private readonly base: ClockSource = { now: () => new Date() }) {}

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return this.base.now().getTime() + this.offsetMs;
  }

  /** Unix seconds as a string, the way Meta writes webhook timestamps. */
  unixSeconds(): string {
    return String(Math.floor(this.nowMs() / 1000));
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError('advance(ms) needs a finite, non-negative number');
    this.offsetMs += ms;
    return this.now();
  }

  /** Jumps to an absolute time (forward or back); later advances are relative to it. */
  set(at: Date): Date {
    this.offsetMs = at.getTime() - this.base.now().getTime();
    return this.now();
  }
}
