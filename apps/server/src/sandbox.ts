import { randomBytes } from 'node:crypto';
import { startSimulator, type WhatsAppSimulator } from '@switchboard/whatsapp-simulator';
import type { Config } from './config/config.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';

export interface Sandbox {
  runtime: Runtime;
  simulator: WhatsAppSimulator;
  /** Switchboard's base URL */
  url: string;
  /** the customer-phone page of the simulator */
  phoneUrl: string;
  stop(): Promise<void>;
}

/**
 * Switchboard and the WhatsApp simulator wired together in one process: the simulator plays Meta
 * (Graph API and signed webhooks) for a sandbox business number, so a first `npm start` shows a
 * working conversation without a Meta account. Nothing here is used when credentials are set.
 */
export async function startSandbox(config: Config, options: RuntimeOptions = {}): Promise<Sandbox> {
  const appSecret = randomBytes(24).toString('hex');
  const accessToken = `sandbox-${randomBytes(16).toString('hex')}`;
  const simulator = await startSimulator({
    host: config.host,
    port: config.sandbox.simulatorPort,
    appSecret,
    accessToken,
    webhooks: { retryDelaysMs: [0, 1_000, 5_000, 30_000] },
  });
  const business = simulator.businesses[0]!;
  const wired: Config = Object.freeze({
    ...config,
    whatsapp: Object.freeze({
      ...config.whatsapp,
      appSecret,
      accessToken,
      verifyToken: config.whatsapp.verifyToken ?? 'sandbox',
      graphUrl: simulator.url,
      phoneNumberId: business.phoneNumberId,
      wabaId: business.wabaId,
    }),
  });
  let runtime: Runtime;
  try {
    runtime = await createRuntime(wired, options);
    const url = await runtime.start();
    simulator.setWebhookUrl(`${url}/webhooks/whatsapp`);
    return {
      runtime,
      simulator,
      url,
      phoneUrl: `${simulator.url}/phone`,
      stop: async () => {
        await runtime.stop();
        await simulator.close();
      },
    };
  } catch (error) {
    await simulator.close();
    throw error;
  }
}
