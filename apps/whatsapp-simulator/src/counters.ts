/** A bag of named tallies that serialises to a plain object. */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  clear(): void {
    this.counts.clear();
  }
}

export interface CountersSnapshot {
  requests: {
    total: number;
    /** "POST messages", "GET media", … */
    byRoute: Record<string, number>;
    byStatus: Record<string, number>;
    /** Meta error codes answered synchronously */
    byErrorCode: Record<string, number>;
  };
  sends: {
    /** accepted sends by message type */
    byType: Record<string, number>;
    /** asynchronous failures (failed status webhooks) by error code */
    failedByCode: Record<string, number>;
  };
  webhooks: {
    /** events produced, by kind: message, status, template_status */
    byKind: Record<string, number>;
    /** one per POST attempt: "200", "500", "timeout", "network_error", … */
    attemptsByResult: Record<string, number>;
    /** events whose delivery was answered 200, by kind */
    deliveredByKind: Record<string, number>;
    delivered: number;
    retried: number;
    gaveUp: number;
    dropped: number;
    duplicated: number;
    reordered: number;
    /** events produced while no webhookUrl was set */
    noUrl: number;
  };
}

/** Every request and every webhook delivery the simulator handled, for tests and benchmarks. */
export class Counters {
  readonly requestRoutes = new Tally();
  readonly requestStatuses = new Tally();
  readonly requestErrorCodes = new Tally();
  readonly sendTypes = new Tally();
  readonly sendFailures = new Tally();
  readonly webhookKinds = new Tally();
  readonly webhookAttempts = new Tally();
  readonly webhookDelivered = new Tally();
  readonly webhook = new Tally();
  requests = 0;

  snapshot(): CountersSnapshot {
    const w = this.webhook;
    return {
      requests: {
        total: this.requests,
        byRoute: this.requestRoutes.toJSON(),
        byStatus: this.requestStatuses.toJSON(),
        byErrorCode: this.requestErrorCodes.toJSON(),
      },
      sends: { byType: this.sendTypes.toJSON(), failedByCode: this.sendFailures.toJSON() },
      webhooks: {
        byKind: this.webhookKinds.toJSON(),
        attemptsByResult: this.webhookAttempts.toJSON(),
        deliveredByKind: this.webhookDelivered.toJSON(),
        delivered: w.get('delivered'),
        retried: w.get('retried'),
        gaveUp: w.get('gaveUp'),
        dropped: w.get('dropped'),
        duplicated: w.get('duplicated'),
        reordered: w.get('reordered'),
        noUrl: w.get('noUrl'),
      },
    };
  }

  reset(): void {
    this.requests = 0;
    for (const t of [
      this.requestRoutes,
      this.requestStatuses,
      this.requestErrorCodes,
      this.sendTypes,
      this.sendFailures,
      this.webhookKinds,
      this.webhookAttempts,
      this.webhookDelivered,
      this.webhook,
    ]) {
      t.clear();
    }
  }
}
