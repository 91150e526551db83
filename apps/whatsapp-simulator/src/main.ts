import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import {
  DEFAULT_ACCESS_TOKEN,
  DEFAULT_APP_SECRET,
  DEFAULT_BUSINESS,
  type MessagingTier,
  type SimulatorOptions,
} from './options.ts';
import { startSimulator, type WhatsAppSimulator } from './simulator.ts';

const empty = (v: unknown) => (v === '' ? undefined : v);
const text = z.preprocess(empty, z.string().min(1).optional());
const digits = z.preprocess(empty, z.string().regex(/^\d+$/, 'must be digits').optional());
const int = (min: number, max: number) =>
  z.preprocess(empty, z.coerce.number().int().min(min).max(max).optional());

const business = z.object({
  phoneNumberId: z.string().regex(/^\d+$/),
  wabaId: z.string().regex(/^\d+$/),
  displayPhoneNumber: z.string().regex(/^\d+$/),
  verifiedName: z.string().min(1),
  throughputMps: z.number().int().positive().optional(),
});

/**
 * The simulator's environment. It reads the same WHATSAPP_* names as Switchboard, so one .env
 * drives both; SIMULATOR_* names are the simulator's own.
 */
const envSchema = z.object({
  SIMULATOR_HOST: z.preprocess(empty, z.string().default('127.0.0.1')),
  SIMULATOR_PORT: z.preprocess(empty, z.coerce.number().int().min(0).max(65_535).default(4010)),
  SIMULATOR_WEBHOOK_URL: z.preprocess(empty, z.url().optional()),
  /** Switchboard's port, for the default webhook URL */
  PORT: int(0, 65_535),
  WHATSAPP_ACCESS_TOKEN: text,
  SIMULATOR_ACCESS_TOKENS: text,
  WHATSAPP_APP_SECRET: text,
  WHATSAPP_PHONE_NUMBER_ID: digits,
  WHATSAPP_WABA_ID: digits,
  SIMULATOR_DISPLAY_PHONE_NUMBER: digits,
  SIMULATOR_VERIFIED_NAME: text,
  /** JSON array of {phoneNumberId, wabaId, displayPhoneNumber, verifiedName}: several numbers */
  SIMULATOR_BUSINESSES: text,
  SIMULATOR_THROUGHPUT_MPS: int(1, 100_000),
  SIMULATOR_TIER: z.preprocess(
    empty,
    z.enum(['250', '1000', '2000', '10000', '100000', 'unlimited']).optional(),
  ),
  SIMULATOR_TEMPLATE_REVIEW: z.preprocess(empty, z.enum(['APPROVED', 'REJECTED']).optional()),
  SIMULATOR_TEMPLATE_REVIEW_DELAY_MS: int(0, 86_400_000),
  SIMULATOR_NOT_ON_WHATSAPP: text,
  SIMULATOR_AUTO_READ: z.preprocess(empty, z.enum(['true', 'false']).optional()),
});

/** Turns an environment (process.env or a test's object) into simulator options; throws on bad values. */
export function simulatorOptionsFromEnv(env: Record<string, string | undefined>): SimulatorOptions {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid simulator configuration:\n${problems}`);
  }
  const e = parsed.data;
  const businesses = e.SIMULATOR_BUSINESSES
    ? z.array(business).min(1).parse(JSON.parse(e.SIMULATOR_BUSINESSES))
    : [
        {
          phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID ?? DEFAULT_BUSINESS.phoneNumberId,
          wabaId: e.WHATSAPP_WABA_ID ?? DEFAULT_BUSINESS.wabaId,
          displayPhoneNumber: e.SIMULATOR_DISPLAY_PHONE_NUMBER ?? DEFAULT_BUSINESS.displayPhoneNumber,
          verifiedName: e.SIMULATOR_VERIFIED_NAME ?? DEFAULT_BUSINESS.verifiedName,
        },
      ];
  const tokens = [
    e.WHATSAPP_ACCESS_TOKEN ?? DEFAULT_ACCESS_TOKEN,
    ...(e.SIMULATOR_ACCESS_TOKENS?.split(',') ?? []),
  ];
  const tier: MessagingTier | undefined =
    e.SIMULATOR_TIER === undefined
      ? undefined
      : e.SIMULATOR_TIER === 'unlimited'
        ? 'unlimited'
        : (Number(e.SIMULATOR_TIER) as MessagingTier);
  return {
    host: e.SIMULATOR_HOST,
    port: e.SIMULATOR_PORT,
    businesses,
    accessTokens: tokens.map((t) => t.trim()).filter(Boolean),
    appSecret: e.WHATSAPP_APP_SECRET ?? DEFAULT_APP_SECRET,
    webhookUrl: e.SIMULATOR_WEBHOOK_URL ?? `http://127.0.0.1:${e.PORT ?? 3000}/webhooks/whatsapp`,
    ...(e.SIMULATOR_THROUGHPUT_MPS === undefined ? {} : { throughputMps: e.SIMULATOR_THROUGHPUT_MPS }),
    ...(tier === undefined ? {} : { tier }),
    templateReview: {
      outcome: e.SIMULATOR_TEMPLATE_REVIEW ?? 'APPROVED',
      delayMs: e.SIMULATOR_TEMPLATE_REVIEW_DELAY_MS ?? 2_000,
    },
    notOnWhatsApp:
      e.SIMULATOR_NOT_ON_WHATSAPP?.split(',')
        .map((s) => s.trim())
        .filter(Boolean) ?? [],
    statuses: { autoRead: e.SIMULATOR_AUTO_READ !== 'false' },
  };
}

const FLAGS: Record<string, string> = {
  '--host': 'SIMULATOR_HOST',
  '--port': 'SIMULATOR_PORT',
  '--webhook-url': 'SIMULATOR_WEBHOOK_URL',
  '--access-token': 'WHATSAPP_ACCESS_TOKEN',
  '--app-secret': 'WHATSAPP_APP_SECRET',
  '--phone-number-id': 'WHATSAPP_PHONE_NUMBER_ID',
  '--waba-id': 'WHATSAPP_WABA_ID',
  '--throughput': 'SIMULATOR_THROUGHPUT_MPS',
  '--tier': 'SIMULATOR_TIER',
  '--template-review': 'SIMULATOR_TEMPLATE_REVIEW',
  '--template-review-delay-ms': 'SIMULATOR_TEMPLATE_REVIEW_DELAY_MS',
};

/** `--port 4010 --webhook-url http://…` (or `--port=4010`) as environment overrides. */
export function envFromArgv(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const name = FLAGS[flag];
    if (!name) throw new Error(`unknown option ${flag}; known: ${Object.keys(FLAGS).join(' ')}`);
    const value = inline ?? argv[(i += 1)];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    out[name] = value;
  }
  return out;
}

/** Starts the simulator from an environment and prints where it listens (the CLI's entry). */
export async function runSimulatorFromEnv(
  env: Record<string, string | undefined>,
  log: (line: string) => void = (line) => console.log(line),
): Promise<WhatsAppSimulator> {
  const options = simulatorOptionsFromEnv(env);
  const sim = await startSimulator(options);
  const b = sim.businesses[0];
  log(`WhatsApp simulator listening on ${sim.url}`);
  log(`  Graph API:     ${sim.url}/v23.0/${b?.phoneNumberId}/messages  (any vNN.N works)`);
  log(`  customer page: ${sim.url}/phone`);
  log(`  webhooks to:   ${options.webhookUrl ?? '(none)'}  signed with the app secret`);
  log(
    `  access token:  ${sim.accessToken === DEFAULT_ACCESS_TOKEN ? DEFAULT_ACCESS_TOKEN : '(from WHATSAPP_ACCESS_TOKEN)'}`,
  );
  return sim;
}

// standalone: `npx tsx apps/whatsapp-simulator/src/main.ts`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // eslint-disable-next-line no-restricted-properties -- the standalone entry reads its environment once, here
  const sim = await runSimulatorFromEnv({ ...process.env, ...envFromArgv(process.argv.slice(2)) });
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
