/**
 * Webhook acks before applies. Meta wants a quick 200 and re-delivers what it does not get, while
 * applying can wait: so while deliveries pour in (above `busyPerSecond`), the inbound workers pause,
 * for as long as the oldest delivery waiting is younger than `maxDeferMs`. Past that, a long overload
 * could starve them, so they take a guaranteed share: after each chunk they rest four times as long
 * as it took (at most a fifth of the event loop). One pacer serves every inbound loop of a process.
 *
 * "Pouring in" ends only once the rate has stayed under half the threshold for `calmMs`, so applies
 * that slow the acks down cannot talk the pacer out of it. And chunks take turns: one chunk, then
 * the event loop reads sockets, then the next. Two worker loops otherwise ran their chunks back to
 * back (the second waits on the connection mutex, not on I/O), doubling how long acks waited.
 * Turns are for SQLite only (`turns: false` on PostgreSQL): there every statement is a round trip
 * that gives the event loop back anyway, and chunks one at a time left the loops waiting on the
 * network in turn (a backlog drained at 237–284 deliveries/s with the server 65 % idle).
 */
export class IngestPacer {
  private restUntil = 0;
  private hot = false;
  private lastHot = Number.NEGATIVE_INFINITY;
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly rate: (nowMs: number) => number,
    private readonly options: {
      busyPerSecond?: number;
      calmMs?: number;
      maxDeferMs?: number;
      /** chunks of all loops one at a time, the sockets polled between them (default true) */
      turns?: boolean;
      now?: () => number;
      sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {}

  /** Resolves when the next chunk may run. `oldestQueuedAt`: when the job being applied was queued (ms, epoch). */
  async beforeChunk(oldestQueuedAt: number): Promise<void> {
    const maxDefer = this.options.maxDeferMs ?? 10_000;
    const sleep = this.options.sleep ?? defaultSleep;
    for (;;) {
      if (!this.busy()) return;
      if (Date.now() - oldestQueuedAt < maxDefer) {
        await sleep(25);
        continue;
      }
      const wait = this.restUntil - this.now();
      if (wait <= 0) return;
      await sleep(wait);
    }
  }

  /** Records a chunk's run time: under load, the next one waits four times as long. */
  afterChunk(chunkMs: number): void {
    const now = this.now();
    if (this.busy()) this.restUntil = Math.max(this.restUntil, now) + chunkMs * 4;
  }

  /**
   * Runs `chunk` when no other chunk of this process is running, and lets the event loop poll its
   * sockets once before the next chunk starts.
   */
  inTurn<T>(chunk: () => Promise<T>): Promise<T> {
    if (this.options.turns === false) return chunk();
    const run = this.turn.then(chunk);
    this.turn = run.then(
      () => yieldToIo(),
      () => yieldToIo(),
    );
    return run;
  }

  /** Whether deliveries are pouring in (see the class comment). */
  busy(): boolean {
    const now = this.now();
    const enter = this.options.busyPerSecond ?? 2_000;
    const rate = this.rate(now);
    if (!this.hot) {
      if (rate <= enter) return false;
      this.hot = true;
    }
    if (rate > enter / 2) this.lastHot = now;
    if (now - this.lastHot < (this.options.calmMs ?? 1_000)) return true;
    this.hot = false;
    return false;
  }

  private now(): number {
    return (this.options.now ?? performance.now.bind(performance))();
  }
}

/** setImmediate runs after the poll phase: the sockets are read before the next chunk. */
export const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.max(1, Math.round(ms))));
