import {
  startSimulator,
  type SimulatorOptions,
  type TemplateSeed,
  type WhatsAppSimulator,
} from '@switchboard/whatsapp-simulator';
import type { Clock } from '../../src/domain/clock.ts';
import type { TestDatabase } from './databases.ts';
import { startTestServer, TEST_APP_SECRET, type TestServer } from './server.ts';

export const SIM_TOKEN = 'EAAsim-test-token-0123456789';
export const BUSINESS = {
  phoneNumberId: '100000000000001',
  wabaId: '200000000000001',
  displayPhoneNumber: '15550000001',
  verifiedName: 'Switchboard Test',
};

/** Templates every outbound test can use (the simulator answers for them like Meta). */
export const TEST_TEMPLATES: TemplateSeed[] = [
  {
    wabaId: BUSINESS.wabaId,
    name: 'order_update',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    components: [
      {
        type: 'BODY',
        text: 'Hi {{1}}, your order {{2}} has shipped.',
        example: { body_text: [['Ana', 'A-1001']] },
      },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Track', url: 'https://example.com/track/{{1}}', example: ['A-1001'] },
        ],
      },
    ],
  },
  {
    wabaId: BUSINESS.wabaId,
    name: 'spring_sale',
    language: 'en_US',
    category: 'MARKETING',
    status: 'APPROVED',
    components: [{ type: 'BODY', text: 'Spring sale: 20% off until Sunday.' }],
  },
  {
    wabaId: BUSINESS.wabaId,
    name: 'paused_promo',
    language: 'en_US',
    category: 'MARKETING',
    status: 'PAUSED',
    components: [{ type: 'BODY', text: 'Paused.' }],
  },
];

export interface SimulatedStack {
  sim: WhatsAppSimulator;
  server: TestServer;
  stop(): Promise<void>;
}

/**
 * Switchboard wired to the WhatsApp simulator over real HTTP: sends go to the simulator's Graph API,
 * its signed webhooks (messages and statuses) come back to Switchboard's receiver.
 */
export async function startSimulatedStack(
  t: TestDatabase,
  options: {
    simulator?: SimulatorOptions;
    env?: Record<string, string>;
    clock?: Clock;
    /** put something (a proxy) between Switchboard and the simulator: returns the Graph URL to use */
    graphUrl?: (simulatorUrl: string) => Promise<string>;
  } = {},
): Promise<SimulatedStack> {
  const sim = await startSimulator({
    port: 0,
    appSecret: TEST_APP_SECRET,
    accessToken: SIM_TOKEN,
    businesses: [{ ...BUSINESS, tier: 'unlimited' }],
    templates: TEST_TEMPLATES,
    statuses: { delaysMs: { sent: 0, delivered: 5, read: 10 } },
    webhooks: { retryDelaysMs: [0, 50, 200, 500, 1000] },
    ...options.simulator,
  });
  const server = await startTestServer(t, {
    ...(options.clock && { clock: options.clock }),
    env: {
      WHATSAPP_GRAPH_URL: options.graphUrl ? await options.graphUrl(sim.url) : sim.url,
      WHATSAPP_ACCESS_TOKEN: SIM_TOKEN,
      WHATSAPP_PHONE_NUMBER_ID: BUSINESS.phoneNumberId,
      WHATSAPP_WABA_ID: BUSINESS.wabaId,
      ...options.env,
    },
  });
  sim.setWebhookUrl(`${server.url}/webhooks/whatsapp`);
  return {
    sim,
    server,
    stop: async () => {
      await server.stop();
      await sim.close();
    },
  };
}

/** Polls until `probe` returns a value (not undefined). */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
