/**
 * Webhook acks before applies. Meta wants a quick 200 and re-delivers what it does not get, while
 * applying can wait: so while deliveries pour in (above `busyPerSecond`), the inbound workers pause,
 * for as long as the oldest delivery waiting is younger than `maxDeferMs`. Past that, a long overload
 * could starve them, so they take a guaranteed share: after each chunk they rest four times as long
 * as it took (at most a fifth of the event loop). One pacer serves every inbound loop of a process.
 *
 * "Pouring in" starts when the last 200 ms ran above `busyPerSecond`, lasts at least `calmMs`, and
 * ends once the last `calmMs` averaged no more than the threshold. The average over a second is
 * what keeps a burst busy while the applies it lets through slow the acks (in a closed-loop
 * benchmark they pull the taken rate down), without a band below the threshold where a steady load
 * keeps it busy. The first rule, "calm after a second with every 200 ms sample under half", stayed
 * busy at a steady 1,000/s once a burst had set it off, as samples hover around their mean: applies
 * then waited 10 s, and a fifth of the loop could not keep up with 1,000/s on a slow machine. Any
 * exit threshold below the entry one has such a band; above the threshold a steady load is
 * overload, and applies take their fifth of the loop by design.
 *
 * Chunks take turns: one chunk, then the event loop reads sockets, then the next. Two worker loops
 * otherwise ran their chunks back to back (the second waits on the connection mutex, not on I/O),
 * doubling how long acks waited.
 * Turns are for SQLite only (`turns: false` on PostgreSQL): there every statement is a round trip
 * that gives the event loop back anyway, and chunks one at a time left the loops waiting on the
 * network in turn (a backlog drained at 237–284 deliveries/s with the server 65 % idle).
 */
/** A burst is a rate above the threshold over this window. */
const BURST_WINDOW_MS = 200;

export class IngestPacer {
  private restUntil = 0;
  private hot = false;
  private hotSince = Number.NEGATIVE_INFINITY;
  private turn: Promise<void> = Promise.resolve();

  constructor(
    /** deliveries stored per second over the last `windowMs` */
    private readonly rate: (nowMs: number, windowMs: number) => number,
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
    const calmMs = this.options.calmMs ?? 1_000;
    if (!this.hot) {
      if (this.rate(now, BURST_WINDOW_MS) <= enter) return false;
      this.hot = true;
      this.hotSince = now;
    }
    if (now - this.hotSince < calmMs || this.rate(now, calmMs) > enter) return true;
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
