import path from 'node:path';
import { z } from 'zod';

/** Meta's Graph API base; the sandbox and the tests point it at the simulator. */
export const META_GRAPH_URL = 'https://graph.facebook.com';

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalText = z.preprocess(emptyAsUndefined, z.string().min(1).optional());
const intInRange = (min: number, max: number, fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(min).max(max).default(fallback));
const flag = (fallback: boolean) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  );

/** Every setting Switchboard reads, with its default; the README's table mirrors this. */
export const environmentSchema = z.object({
  PORT: intInRange(0, 65_535, 3000),
  HOST: z.preprocess(emptyAsUndefined, z.string().default('127.0.0.1')),
  PUBLIC_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data')),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave unset for the embedded SQLite file)')
      .optional(),
  ),
  SQLITE_SYNCHRONOUS: z.preprocess(emptyAsUndefined, z.enum(['FULL', 'NORMAL']).default('FULL')),
  WHATSAPP_APP_SECRET: optionalText,
  WHATSAPP_VERIFY_TOKEN: optionalText,
  WHATSAPP_ACCESS_TOKEN: optionalText,
  WHATSAPP_PHONE_NUMBER_ID: z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^\d+$/, 'must be digits').optional(),
  ),
  WHATSAPP_WABA_ID: z.preprocess(emptyAsUndefined, z.string().regex(/^\d+$/, 'must be digits').optional()),
  WHATSAPP_GRAPH_URL: z.preprocess(emptyAsUndefined, z.url().default(META_GRAPH_URL)),
  WHATSAPP_API_VERSION: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^v\d+\.\d+$/, 'must look like v23.0')
      .refine((v) => Number(v.slice(1)) >= 23, 'must be v23.0 or newer')
      .default('v23.0'),
  ),
  SWITCHBOARD_API_TOKEN: z.preprocess(
    emptyAsUndefined,
    z.string().min(24, 'must be at least 24 characters').optional(),
  ),
  WORKERS: flag(true),
  // default by database (below): SQLite applies on one writer, PostgreSQL waits on round trips
  WORKER_CONCURRENCY: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(64).optional()),
  JOB_LEASE_SECONDS: intInRange(1, 3600, 30),
  WHATSAPP_TIMEOUT_MS: intInRange(100, 120_000, 15_000),
  OUTBOUND_RECONCILE_SECONDS: intInRange(1, 3600, 60),
  SANDBOX: z.preprocess(emptyAsUndefined, z.enum(['auto', 'true', 'false']).default('auto')),
  SIMULATOR_PORT: intInRange(0, 65_535, 3001),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

export type Environment = z.infer<typeof environmentSchema>;

/** The raw environment, for the few entry points that hand it on (the standalone simulator). */
export const processEnvironment = (): Record<string, string | undefined> => process.env;

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string | undefined;
  readonly dataDir: string;
  readonly database:
    | { readonly kind: 'sqlite'; readonly file: string; readonly synchronous: 'FULL' | 'NORMAL' }
    | { readonly kind: 'postgres'; readonly url: string };
  readonly whatsapp: {
    readonly appSecret: string | undefined;
    readonly verifyToken: string | undefined;
    readonly accessToken: string | undefined;
    readonly phoneNumberId: string | undefined;
    readonly wabaId: string | undefined;
    readonly graphUrl: string;
    readonly apiVersion: string;
    /** how long a Graph API call may take before it counts as timed out */
    readonly timeoutMs: number;
  };
  readonly adminApiToken: string | undefined;
  readonly workers: { readonly enabled: boolean; readonly concurrency: number; readonly leaseMs: number };
  /** after a send whose outcome is unknown, how long to wait for its status webhook before sending again */
  readonly outboundReconcileMs: number;
  readonly logLevel: Environment['LOG_LEVEL'];
  /**
   * Sandbox: Switchboard and the WhatsApp simulator wired together, for a first run without a Meta
   * account. 'auto' turns it on when neither an app secret nor an access token is configured.
   */
  readonly sandbox: { readonly enabled: boolean; readonly simulatorPort: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment once into a frozen Config; names every variable that is wrong. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'sqlite', file: path.join(dataDir, 'switchboard.sqlite'), synchronous: e.SQLITE_SYNCHRONOUS },
    whatsapp: {
      appSecret: e.WHATSAPP_APP_SECRET,
      verifyToken: e.WHATSAPP_VERIFY_TOKEN,
      accessToken: e.WHATSAPP_ACCESS_TOKEN,
      phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID,
      wabaId: e.WHATSAPP_WABA_ID,
      graphUrl: e.WHATSAPP_GRAPH_URL.replace(/\/+$/, ''),
      apiVersion: e.WHATSAPP_API_VERSION,
      timeoutMs: e.WHATSAPP_TIMEOUT_MS,
    },
    adminApiToken: e.SWITCHBOARD_API_TOKEN,
    workers: {
      enabled: e.WORKERS,
      // On PostgreSQL each apply statement is a round trip: 2 loops applied a 1,000/s load 5.7 s late,
      // 4 loops 1.9 s, 8 loops kept up (scratch runs, 2 cores shared with the database server).
      concurrency: e.WORKER_CONCURRENCY ?? (e.DATABASE_URL ? 8 : 2),
      leaseMs: e.JOB_LEASE_SECONDS * 1000,
    },
    logLevel: e.LOG_LEVEL,
    outboundReconcileMs: e.OUTBOUND_RECONCILE_SECONDS * 1000,
    sandbox: {
      enabled:
        e.SANDBOX === 'true' || (e.SANDBOX === 'auto' && !e.WHATSAPP_APP_SECRET && !e.WHATSAPP_ACCESS_TOKEN),
      simulatorPort: e.SIMULATOR_PORT,
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
