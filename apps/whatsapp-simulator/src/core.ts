import { SimClock } from './clock.ts';
import { Counters } from './counters.ts';
import { GraphError, unknownObject } from './errors.ts';
import { Faults } from './faults.ts';
import { MediaStore } from './media/store.ts';
import type { BusinessNumber, ResolvedOptions } from './options.ts';
import { RateRules } from './rules.ts';
import { Store } from './store.ts';
import { TemplateStore } from './templates/store.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';
import type { WebhookEvent } from './webhooks/payloads.ts';

/** Everything the routes and the programmatic API share: state, clock, rules, webhooks. */
export class SimulatorCore {
  readonly clock: SimClock;
  readonly store: Store;
  readonly templates: TemplateStore;
  readonly media = new MediaStore();
  readonly faults: Faults;
  readonly counters = new Counters();
  readonly rules: RateRules;
  readonly webhooks: WebhookDispatcher;
  readonly businesses: Required<BusinessNumber>[];
  readonly acceptedTokens: Set<string>;
  /** "expire the token now": every accepted token answers 190 / 463 until restored */
  tokensExpiredAt: Date | null = null;
  /** template id → finish its review now (tests skip the review delay with it) */
  readonly pendingReviews = new Map<string, () => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(readonly options: ResolvedOptions) {
    this.clock = new SimClock(options.clock);
    this.businesses = options.businesses;
    this.acceptedTokens = new Set(options.accessTokens);
    this.store = new Store(options.notOnWhatsApp);
    this.faults = new Faults(options.faults, options.random);
    this.rules = new RateRules(this.clock, options.pairRate);
    this.templates = new TemplateStore((this.businesses[0] as BusinessNumber).wabaId);
    for (const seed of options.templates) this.templates.add(seed);
    this.webhooks = new WebhookDispatcher(
      {
        appSecret: options.appSecret,
        ...options.webhooks,
        nowSeconds: () => Math.floor(this.clock.nowMs() / 1000),
      },
      this.faults,
      this.counters,
    );
    this.webhooks.setUrl(options.webhookUrl);
  }

  business(phoneNumberId: string): Required<BusinessNumber> | undefined {
    return this.businesses.find((b) => b.phoneNumberId === phoneNumberId);
  }

  /** The business number for a Graph request, or Graph's unknown-object error. */
  requireBusiness(phoneNumberId: string, method: 'get' | 'post'): Required<BusinessNumber> {
    const b = this.business(phoneNumberId);
    if (!b) throw unknownObject(phoneNumberId, method);
    return b;
  }

  requireWaba(wabaId: string, method: 'get' | 'post' | 'delete'): string {
    if (!this.businesses.some((b) => b.wabaId === wabaId)) throw unknownObject(wabaId, method);
    return wabaId;
  }

  defaultBusiness(): Required<BusinessNumber> {
    return this.businesses[0] as Required<BusinessNumber>;
  }

  /** Throws Graph's 190 unless the token is one we accept and has not been expired. */
  authorize(token: string | undefined): void {
    if (!token) {
      throw new GraphError(190, 'An access token is required to request this resource.', {
        message: 'An access token is required to request this resource.',
        omitErrorData: true,
      });
    }
    if (!this.acceptedTokens.has(token)) {
      throw new GraphError(190, 'Invalid OAuth access token - Cannot parse access token', {
        message: 'Invalid OAuth access token - Cannot parse access token',
        omitErrorData: true,
      });
    }
    if (this.tokensExpiredAt) {
      const when = this.tokensExpiredAt.toUTCString();
      throw new GraphError(190, 'Session has expired', {
        message: `Error validating access token: Session has expired on ${when}. The current time is ${this.clock.now().toUTCString()}.`,
        subcode: 463,
        omitErrorData: true,
      });
    }
  }

  emit(event: WebhookEvent): void {
    this.webhooks.enqueue(event);
  }

  /** A real-time timer that close() cancels; returns a function that cancels it sooner. */
  schedule(ms: number, fn: () => void): () => void {
    if (this.closed) return () => {};
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.webhooks.close();
  }
}
