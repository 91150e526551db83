import fs from 'node:fs/promises';

/**
 * Makes SQLite commits durable without blocking the event loop. The connection runs with
 * synchronous=NORMAL (commits are consistent, and survive a crash of the process, but are not yet
 * on disk); whoever must not acknowledge before the data is on disk awaits `sync()`, which
 * fdatasyncs the WAL file in libuv's thread pool. That is what synchronous=FULL does after every
 * commit, except that one fdatasync serves every commit made before it started, and the event loop
 * keeps serving requests meanwhile (the group commit of the webhook inbox relies on both).
 */
export class WalSync {
  private handle: fs.FileHandle | null = null;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly walPath: string) {}

  /** Resolves once every commit made before this call is on disk. */
  sync(): Promise<void> {
    if (!this.running) return this.start();
    // A sync already running may have begun before the caller's commit: wait for the one after it.
    this.next ??= this.running.then(() => {
      this.next = null;
      return this.start();
    });
    return this.next;
  }

  async close(): Promise<void> {
    await this.next?.catch(() => undefined);
    await this.running?.catch(() => undefined);
    await this.handle?.close();
    this.handle = null;
  }

  private start(): Promise<void> {
    const run = (async () => {
      // The WAL file exists from the first write on; a read-only descriptor is enough to sync it.
      this.handle ??= await fs.open(this.walPath, 'r');
      await this.handle.datasync();
    })();
    // Only the caller gets the failure; the bookkeeping promise just marks the sync as over.
    const over = run.then(
      () => undefined,
      () => undefined,
    );
    this.running = over;
    void over.then(() => {
      if (this.running === over) this.running = null;
    });
    return run;
  }
}
