import http from 'node:http';
import https from 'node:https';
import { signBody } from '../../../server/src/channels/whatsapp/signature.ts';
import type { Counters } from '../counters.ts';
import type { Faults } from '../faults.ts';
import { buildBody, type WebhookEvent } from './payloads.ts';

export interface DispatcherOptions {
  appSecret: string;
  retryDelaysMs: number[];
  concurrency: number;
  timeoutMs: number;
  maxBatch: number;
  nowSeconds: () => number;
}

interface Delivery {
  events: WebhookEvent[];
  /** the exact bytes signed and sent; retries send the same bytes, as Meta does */
  body: Buffer;
  signature: string;
  attempt: number;
}

/**
 * Delivers webhook events to one URL: signed with X-Hub-Signature-256 over the exact bytes sent,
 * retried on anything but 200 (immediately, then along the backoff schedule), with optional
 * batching and the drop / duplicate / reorder faults.
 */
export class WebhookDispatcher {
  private url: URL | null = null;
  private readonly queue: Delivery[] = [];
  private pendingEvents: WebhookEvent[] = [];
  private inFlight = 0;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private held: Delivery | null = null;
  private heldTimer: NodeJS.Timeout | null = null;
  private flushScheduled = false;
  private waiters: (() => void)[] = [];
  private closed = false;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly options: DispatcherOptions,
    private readonly faults: Faults,
    private readonly counters: Counters,
  ) {}

  setUrl(url: string | null): void {
    this.url = url ? new URL(url) : null;
  }

  getUrl(): string | null {
    return this.url?.toString() ?? null;
  }

  enqueue(event: WebhookEvent): void {
    if (this.closed) return;
    this.counters.webhookKinds.add(event.kind);
    if (!this.url) {
      this.counters.webhook.add('noUrl');
      return;
    }
    if (this.faults.roll('webhookDropRate')) {
      this.counters.webhook.add('dropped');
      return;
    }
    this.pendingEvents.push(event);
    if (this.faults.roll('webhookDuplicateRate')) {
      this.counters.webhook.add('duplicated');
      this.pendingEvents.push(event);
    }
    // gather what arrives in the same tick into batches, then send
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Resolves once nothing is queued, in flight, held back or waiting for a retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.queue.length = 0;
    this.pendingEvents = [];
    this.held = null;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.settle();
  }

  private isIdle(): boolean {
    return (
      this.pendingEvents.length === 0 &&
      this.queue.length === 0 &&
      this.inFlight === 0 &&
      this.retryTimers.size === 0 &&
      this.held === null &&
      !this.flushScheduled
    );
  }

  private settle(): void {
    if (!this.isIdle() && !this.closed) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private flush(): void {
    this.flushScheduled = false;
    const events = this.pendingEvents;
    this.pendingEvents = [];
    const size = Math.max(1, this.options.maxBatch);
    let batch: WebhookEvent[] = [];
    for (const event of events) {
      const batchable = event.field === 'messages' && batch.every((e) => e.field === 'messages');
      if (batch.length > 0 && (!batchable || batch.length >= size)) {
        this.queue.push(this.prepare(batch));
        batch = [];
      }
      batch.push(event);
    }
    if (batch.length > 0) this.queue.push(this.prepare(batch));
    this.pump();
    this.settle();
  }

  private prepare(events: WebhookEvent[]): Delivery {
    const body = Buffer.from(JSON.stringify(buildBody(events, this.options.nowSeconds())));
    return { events, body, signature: signBody(this.options.appSecret, body), attempt: 0 };
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.options.concurrency && this.queue.length > 0) {
      const delivery = this.queue.shift() as Delivery;
      if (delivery.attempt === 0 && this.held === null && this.faults.roll('webhookReorderRate')) {
        // hold it back until the next delivery has gone out (or briefly, if none comes)
        this.counters.webhook.add('reordered');
        this.held = delivery;
        this.heldTimer = setTimeout(() => this.releaseHeld(), 50);
        continue;
      }
      this.send(delivery);
      this.releaseHeld();
    }
  }

  private releaseHeld(): void {
    if (!this.held) return;
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.heldTimer = null;
    const held = this.held;
    this.held = null;
    this.send(held);
  }

  private send(delivery: Delivery): void {
    const url = this.url;
    if (!url || this.closed) return;
    this.inFlight += 1;
    delivery.attempt += 1;
    const isHttps = url.protocol === 'https:';
    const req = (isHttps ? https : http).request(url, {
      method: 'POST',
      agent: isHttps ? this.httpsAgent : this.httpAgent,
      headers: {
        'content-type': 'application/json',
        'content-length': delivery.body.length,
        'x-hub-signature-256': delivery.signature,
        'user-agent': 'facebookexternalua',
      },
      timeout: this.options.timeoutMs,
    });
    let finished = false;
    const done = (result: string): void => {
      if (finished) return;
      finished = true;
      this.inFlight -= 1;
      this.counters.webhookAttempts.add(result);
      if (result === '200') {
        this.counters.webhook.add('delivered', delivery.events.length);
        for (const e of delivery.events) this.counters.webhookDelivered.add(e.kind);
      } else {
        this.retry(delivery);
      }
      this.pump();
      this.settle();
    };
    req.on('response', (res) => {
      res.resume();
      res.on('close', () => done(res.complete ? String(res.statusCode) : 'network_error'));
    });
    req.on('timeout', () => {
      req.destroy();
      done('timeout');
    });
    req.on('error', () => done('network_error'));
    req.end(delivery.body);
  }

  private retry(delivery: Delivery): void {
    const delay = this.options.retryDelaysMs[delivery.attempt - 1];
    if (delay === undefined || this.closed) {
      this.counters.webhook.add('gaveUp', delivery.events.length);
      return;
    }
    this.counters.webhook.add('retried');
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.queue.unshift(delivery);
      this.pump();
      this.settle();
    }, delay);
    this.retryTimers.add(timer);
  }
}
