import type { Logger } from './logger.ts';

/**
 * Last words in the JSON log. An uncaught exception or an unhandled rejection is a bug: Node would
 * print it as plain text on stderr and exit, where log collectors miss it. This logs it at fatal
 * (redaction applies) and exits 1; a supervisor restarts the process, and everything acknowledged
 * is already durable.
 */
export function exitOnFatalErrors(logger: Logger, exit: (code: number) => void = process.exit): void {
  const onFatal = (kind: string) => (error: unknown) => {
    logger.fatal({ err: error }, kind);
    exit(1);
  };
  process.on('uncaughtException', onFatal('uncaught exception'));
  process.on('unhandledRejection', onFatal('unhandled rejection'));
}
