import type { ClockSource } from './clock.ts';
import type { FaultSettings } from './faults.ts';
import type { TemplateSeed } from './templates/store.ts';

/** Meta's messaging limits: unique customers reached outside a service window per rolling 24 h. */
export type MessagingTier = 250 | 1000 | 2000 | 10_000 | 100_000 | 'unlimited';

export interface BusinessNumber {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
  verifiedName: string;
  /** messages per second this number may send (Meta: 80 by default, up to 1,000) */
  throughputMps?: number;
  tier?: MessagingTier;
}

export interface SimulatorOptions {
  host?: string;
  /** 0 picks a free port */
  port?: number;
  businesses?: BusinessNumber[];
  accessToken?: string;
  accessTokens?: string[];
  appSecret?: string;
  /** where webhooks go; null or unset records them without delivering (settable at run time) */
  webhookUrl?: string | null;
  throughputMps?: number;
  tier?: MessagingTier;
  /** per (business, customer) pair: a burst, then one message per intervalMs (Meta: 1 per 6 s) */
  pairRate?: { burst: number; intervalMs: number };
  templateReview?: { outcome: 'APPROVED' | 'REJECTED'; delayMs: number; rejectionReason?: string };
  templates?: TemplateSeed[];
  /** wa_ids that are not WhatsApp users: sends to them fail with 131026 */
  notOnWhatsApp?: string[];
  statuses?: {
    /** false: record sends but emit no status webhooks (benchmarks) */
    emit?: boolean;
    /** delays after the send is accepted; real time */
    delaysMs?: { sent: number; delivered: number; read: number };
    /** false: stop at delivered until the customer reads (customer(...).read()) */
    autoRead?: boolean;
  };
  webhooks?: {
    /** wait before each retry after a non-200 answer: first entry is the immediate retry */
    retryDelaysMs?: number[];
    /** deliveries in flight at once */
    concurrency?: number;
    /** a delivery that takes longer counts as failed and is retried */
    timeoutMs?: number;
    /** events merged into one POST (Meta batches under load); 1 = one event per POST */
    maxBatch?: number;
  };
  faults?: Partial<FaultSettings>;
  clock?: ClockSource;
  /** randomness for fault rates; inject a seeded one for reproducible runs */
  random?: () => number;
  /** media download URLs expire after this long on the simulator clock (Meta: 5 minutes) */
  mediaUrlTtlMs?: number;
  logger?: boolean;
}

export const DEFAULT_BUSINESS: BusinessNumber = {
  phoneNumberId: '100000000000001',
  wabaId: '200000000000001',
  displayPhoneNumber: '15550000001',
  verifiedName: 'Switchboard Test',
};

export const DEFAULT_ACCESS_TOKEN = 'sim-access-token';
export const DEFAULT_APP_SECRET = 'sim-app-secret';

/** Meta's retry schedule is "immediately, then with decreasing frequency"; tests shorten it. */
export const DEFAULT_RETRY_DELAYS_MS = [0, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000];

export interface ResolvedOptions {
  host: string;
  port: number;
  businesses: Required<BusinessNumber>[];
  accessTokens: string[];
  appSecret: string;
  webhookUrl: string | null;
  pairRate: { burst: number; intervalMs: number };
  templateReview: { outcome: 'APPROVED' | 'REJECTED'; delayMs: number; rejectionReason: string };
  templates: TemplateSeed[];
  notOnWhatsApp: string[];
  statuses: { emit: boolean; delaysMs: { sent: number; delivered: number; read: number }; autoRead: boolean };
  webhooks: { retryDelaysMs: number[]; concurrency: number; timeoutMs: number; maxBatch: number };
  faults: Partial<FaultSettings>;
  clock: ClockSource | undefined;
  random: () => number;
  mediaUrlTtlMs: number;
  logger: boolean;
}

export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const throughput = options.throughputMps ?? 80;
  const tier = options.tier ?? 250;
  const businesses = (options.businesses?.length ? options.businesses : [DEFAULT_BUSINESS]).map((b) => ({
    ...b,
    throughputMps: b.throughputMps ?? throughput,
    tier: b.tier ?? tier,
  }));
  const tokens = [...(options.accessTokens ?? []), ...(options.accessToken ? [options.accessToken] : [])];
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    businesses,
    accessTokens: tokens.length ? tokens : [DEFAULT_ACCESS_TOKEN],
    appSecret: options.appSecret ?? DEFAULT_APP_SECRET,
    webhookUrl: options.webhookUrl ?? null,
    pairRate: options.pairRate ?? { burst: 45, intervalMs: 6_000 },
    templateReview: {
      outcome: options.templateReview?.outcome ?? 'APPROVED',
      delayMs: options.templateReview?.delayMs ?? 2_000,
      rejectionReason: options.templateReview?.rejectionReason ?? 'INVALID_FORMAT',
    },
    templates: options.templates ?? defaultTemplates(businesses),
    notOnWhatsApp: options.notOnWhatsApp ?? [],
    statuses: {
      emit: options.statuses?.emit ?? true,
      delaysMs: options.statuses?.delaysMs ?? { sent: 0, delivered: 50, read: 150 },
      autoRead: options.statuses?.autoRead ?? true,
    },
    webhooks: {
      retryDelaysMs: options.webhooks?.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
      concurrency: options.webhooks?.concurrency ?? 32,
      timeoutMs: options.webhooks?.timeoutMs ?? 10_000,
      maxBatch: options.webhooks?.maxBatch ?? 1,
    },
    faults: options.faults ?? {},
    clock: options.clock,
    random: options.random ?? Math.random,
    mediaUrlTtlMs: options.mediaUrlTtlMs ?? 5 * 60_000,
    logger: options.logger ?? false,
  };
}

/** Every new WABA has Meta's sample `hello_world` template, approved. */
function defaultTemplates(businesses: BusinessNumber[]): TemplateSeed[] {
  const wabas = [...new Set(businesses.map((b) => b.wabaId))];
  return wabas.map((wabaId) => ({
    wabaId,
    name: 'hello_world',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
      {
        type: 'BODY',
        text: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.',
      },
      { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
    ],
  }));
}
