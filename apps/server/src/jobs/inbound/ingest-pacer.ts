/**
 * Webhook acks before applies. Meta wants a quick 200 and re-delivers what it does not get, while
 * applying can wait: so while deliveries pour in (above `busyPerSecond`), the inbound workers pause,
 * for as long as the oldest delivery waiting is younger than `maxDeferMs`. Past that, a long overload
 * could starve them, so they take a guaranteed share: after each chunk they rest four times as long
 * as it took (at most a fifth of the event loop). One pacer serves every inbound loop of a process.
 */
export class IngestPacer {
  private restUntil = 0;

  constructor(
    private readonly rate: (nowMs: number) => number,
    private readonly options: { busyPerSecond?: number; maxDeferMs?: number; now?: () => number } = {},
  ) {}

  /** Resolves when the next chunk may run. `oldestQueuedAt`: when the job being applied was queued (ms, epoch). */
  async beforeChunk(oldestQueuedAt: number): Promise<void> {
    const now = this.options.now ?? performance.now.bind(performance);
    const maxDefer = this.options.maxDeferMs ?? 10_000;
    for (;;) {
      if (!this.busy(now())) return;
      if (Date.now() - oldestQueuedAt < maxDefer) {
        await sleep(25);
        continue;
      }
      const wait = this.restUntil - now();
      if (wait <= 0) return;
      await sleep(wait);
    }
  }

  /** Records a chunk's run time: under load, the next one waits four times as long. */
  afterChunk(chunkMs: number): void {
    const now = (this.options.now ?? performance.now.bind(performance))();
    if (this.busy(now)) this.restUntil = Math.max(this.restUntil, now) + chunkMs * 4;
  }

  private busy(nowMs: number): boolean {
    return this.rate(nowMs) > (this.options.busyPerSecond ?? 2_000);
  }
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.max(1, Math.round(ms))));
