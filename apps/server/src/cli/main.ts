import { envFromArgv, runSimulatorFromEnv } from '@switchboard/whatsapp-simulator';
import { ConfigError, loadConfig, processEnvironment, type Config } from '../config/config.ts';
import type { Runtime } from '../runtime.ts';
import { exitOnFatalErrors } from '../observability/fatal.ts';
import { createLogger } from '../observability/logger.ts';
import { startSandbox } from '../sandbox.ts';
import { discardDeadLetter, listDeadLetters, retryDeadLetter } from '../services/dead-letters.ts';
import { migrateToLatest, openDatabase } from '../storage/db.ts';
import { createApiToken } from '../storage/repositories/api-tokens.ts';
import { recordAudit } from '../storage/repositories/audit.ts';
import { createRuntime } from '../runtime.ts';

const usage = `Usage: switchboard <command>

Commands:
  start                 run the HTTP server and the workers (a sandbox with the WhatsApp
                        simulator when no WhatsApp credentials are configured)
  simulator [--port N]  run the WhatsApp Cloud API simulator alone
  worker                run the workers only (scale out beside 'start' with WORKERS=false)
  migrate               apply database migrations and exit
  token create [name]   create an API token (printed once) and exit
  dead-letters list | retry <id> | discard <id>
                        outbound messages that ran out of attempts or time
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return command ? 0 : 1;
  }
  const config = loadConfig();
  switch (command) {
    case 'start':
    case 'worker': {
      exitOnFatalErrors(createLogger(config.logLevel));
      const runtime = command === 'start' ? await startServing(config) : await startWorkers(config);
      await waitForSignal();
      await runtime.stop();
      return 0;
    }
    case 'simulator': {
      const simulator = await runSimulatorFromEnv({ ...processEnvironment(), ...envFromArgv(rest) });
      await waitForSignal();
      await simulator.close();
      return 0;
    }
    case 'migrate': {
      const handle = await openDatabase(
        config.database.kind === 'sqlite'
          ? { kind: 'sqlite', file: config.database.file }
          : { kind: 'postgres', url: config.database.url },
      );
      const applied = await migrateToLatest(handle);
      await handle.close();
      process.stdout.write(
        applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n',
      );
      return 0;
    }
    case 'token': {
      if (rest[0] !== 'create') {
        process.stderr.write(usage);
        return 1;
      }
      const name = rest[1] ?? 'api';
      const handle = await openDatabase(
        config.database.kind === 'sqlite'
          ? { kind: 'sqlite', file: config.database.file }
          : { kind: 'postgres', url: config.database.url },
      );
      await migrateToLatest(handle);
      const now = new Date();
      const { id, token } = await handle.db.transaction().execute(async (trx) => {
        const created = await createApiToken(trx, name, now);
        await recordAudit(
          trx,
          {
            actor: 'cli',
            action: 'api_token.create',
            subjectType: 'ApiToken',
            subjectId: created.id,
            detail: { name },
          },
          now,
        );
        return created;
      });
      await handle.close();
      process.stderr.write(`Created API token "${name}" (${id}). It is shown once; store it now:\n`);
      process.stdout.write(`${token}\n`);
      return 0;
    }
    case 'dead-letters':
      return deadLetters(config, rest);
    default:
      process.stderr.write(`Unknown command: ${command}\n\n${usage}`);
      return 1;
  }
}

async function startServing(config: Config): Promise<{ stop(): Promise<void> }> {
  const storage = config.database.kind === 'sqlite' ? `SQLite (${config.database.file})` : 'PostgreSQL';
  if (config.sandbox.enabled) {
    const sandbox = await startSandbox(config);
    process.stdout.write(
      `\nSwitchboard is running in SANDBOX mode on ${storage}: no WhatsApp credentials are set, so a\n` +
        `simulated WhatsApp Cloud API plays Meta for the number +${sandbox.simulator.businesses[0]!.displayPhoneNumber}.\n\n` +
        `  Customer phone: ${sandbox.phoneUrl}   <- open it, write as a customer\n` +
        `  Conversations:  ${sandbox.url}/api/v1/conversations  (Authorization: Bearer <token>)\n` +
        `  Create a token: npx switchboard token create\n` +
        `  Health:         ${sandbox.url}/healthz   Metrics: ${sandbox.url}/metrics\n\n`,
    );
    return sandbox;
  }
  const runtime = await createRuntime(config);
  const address = await runtime.start();
  runtime.logger.info({ address, database: config.database.kind }, 'switchboard listening');
  process.stdout.write(
    `\nSwitchboard is running on ${storage}\n` +
      `  Webhook URL:  ${address}/webhooks/whatsapp\n` +
      `  API:          ${address}/api/v1/conversations\n` +
      `  Health:       ${address}/healthz   Metrics: ${address}/metrics\n\n`,
  );
  return runtime;
}

async function startWorkers(config: Config): Promise<Runtime> {
  const runtime = await createRuntime(config, { http: false });
  await runtime.start();
  runtime.logger.info('switchboard worker running');
  return runtime;
}

async function deadLetters(config: Config, args: string[]): Promise<number> {
  const [action, id] = args;
  if (!action || (action !== 'list' && !id)) {
    process.stderr.write(usage);
    return 1;
  }
  const handle = await openDatabase(
    config.database.kind === 'sqlite'
      ? { kind: 'sqlite', file: config.database.file }
      : { kind: 'postgres', url: config.database.url },
  );
  try {
    await migrateToLatest(handle);
    const now = new Date();
    if (action === 'list') {
      const rows = await listDeadLetters(handle.db, 200);
      if (rows.length === 0) process.stdout.write('No dead letters.\n');
      for (const r of rows) {
        const error = r.last_error ? (JSON.parse(r.last_error) as { message?: string }).message : '';
        process.stdout.write(`${r.id}  to +${r.to_wa_id}  ${r.updated_at}  ${error ?? ''}\n`);
      }
      return 0;
    }
    const row = await handle.db.transaction().execute(async (trx) => {
      const done =
        action === 'retry'
          ? await retryDeadLetter(trx, id!, now)
          : action === 'discard'
            ? await discardDeadLetter(trx, id!, now)
            : null;
      if (done)
        await recordAudit(
          trx,
          { actor: 'cli', action: `dead_letter.${action}`, subjectType: 'OutboundMessage', subjectId: id! },
          now,
        );
      return done;
    });
    if (!row) {
      process.stderr.write(action === 'retry' || action === 'discard' ? `No dead letter ${id}\n` : usage);
      return 1;
    }
    process.stdout.write(`${action === 'retry' ? 'Queued again' : 'Discarded'}: ${row.id}\n`);
    return 0;
  } finally {
    await handle.close();
  }
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `switchboard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
