import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs. Secrets and customer text never reach a log line at any level we ship: the
 * redaction list is the safety net, the habit is to log ids and counts, never bodies.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-hub-signature-256"]',
          '*.accessToken',
          '*.access_token',
          '*.appSecret',
          '*.token',
          'accessToken',
          'token',
          'body',
          'text',
        ],
        censor: '[redacted]',
      },
      serializers: {
        err: pino.stdSerializers.err,
        req: (req: { method?: string; url?: string }) => ({ method: req.method, url: stripQuery(req.url) }),
      },
    },
    destination,
  );
}

/** Query strings can carry the verify token of Meta's handshake: never log them. */
function stripQuery(url: string | undefined): string | undefined {
  return url?.split('?')[0];
}
