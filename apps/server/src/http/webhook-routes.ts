import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { SIGNATURE_HEADER, verifySignature } from '../channels/whatsapp/signature.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { WebhookInbox } from '../storage/webhook-inbox.ts';
import { errorBody } from './errors.ts';
import { isJsonObjectBytes } from './json-object-check.ts';

/** Meta's documented maximum webhook payload. */
export const MAX_WEBHOOK_BYTES = 3 * 1024 * 1024;

export interface WebhookRouteDeps {
  appSecret: string | undefined;
  verifyToken: string | undefined;
  inbox: WebhookInbox;
  metrics: Metrics;
  /** called after a delivery is durably stored, to wake the inbound worker */
  onStored?: () => void;
}

/**
 * Meta's webhook protocol: the GET verification handshake, and signed POST deliveries that are
 * stored raw and acknowledged only after the commit. Nothing else happens before the 200.
 */
export async function webhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): Promise<void> {
  // Raw bytes for every content type: the signature is over the exact body Meta sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_WEBHOOK_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  app.get('/webhooks/whatsapp', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const mode = query['hub.mode'];
    const token = query['hub.verify_token'];
    const challenge = query['hub.challenge'];
    if (mode !== 'subscribe' || !challenge) {
      return reply
        .code(400)
        .send(errorBody('invalid_request', 'expected hub.mode=subscribe and hub.challenge'));
    }
    if (!deps.verifyToken || token !== deps.verifyToken) {
      return reply.code(403).send(errorBody('forbidden', 'hub.verify_token does not match'));
    }
    return reply.type('text/plain').send(challenge);
  });

  // One wake-up per burst of stored deliveries is enough: a group commit acknowledges many
  // deliveries in the same tick, and every wake-up costs each woken worker loop a claim query.
  let wakePending = false;
  const wakeWorkers = () => {
    if (!deps.onStored || wakePending) return;
    wakePending = true;
    queueMicrotask(() => {
      wakePending = false;
      deps.onStored?.();
    });
  };

  // Fastify's default is a child logger per request; with our redaction list that cost about 5 % of
  // the acks a second at webhook rates. Deliveries are logged by webhook event id, so they share one.
  let deliveryLogger: FastifyBaseLogger | null = null;
  app.post('/webhooks/whatsapp', {
    childLoggerFactory: (logger) => (deliveryLogger ??= logger.child({ route: 'webhook' })),
    // A missing signature is refused before the body is even read. A callback hook, not an async
    // one: no promise and no extra microtask per delivery.
    onRequest: (request, reply, done) => {
      if (request.headers[SIGNATURE_HEADER]) return done();
      deps.metrics.webhookDeliveries.inc({ result: 'bad_signature' });
      void reply.code(401).send(errorBody('invalid_signature', 'missing X-Hub-Signature-256'));
    },
    // Not async: the ack is sent from the inbox's callback, with no promise per delivery.
    handler: (request, reply) => {
      const started = performance.now();
      const body = request.body;
      const signature = request.headers[SIGNATURE_HEADER];
      if (!Buffer.isBuffer(body) || typeof signature !== 'string') {
        deps.metrics.webhookDeliveries.inc({ result: 'malformed' });
        void reply.code(400).send(errorBody('malformed_body', 'expected a JSON body'));
        return;
      }
      if (!deps.appSecret || !verifySignature(deps.appSecret, body, signature)) {
        deps.metrics.webhookDeliveries.inc({ result: 'bad_signature' });
        void reply
          .code(401)
          .send(errorBody('invalid_signature', 'X-Hub-Signature-256 does not match the body'));
        return;
      }
      if (!isJsonObjectBytes(body)) {
        deps.metrics.webhookDeliveries.inc({ result: 'malformed' });
        void reply.code(400).send(errorBody('malformed_body', 'the body is not a JSON object'));
        return;
      }
      deps.inbox.submit({ body, signature }, (error) => {
        // Not stored: the error handler answers 500 and Meta delivers again later.
        if (error !== null) return void reply.send(error);
        wakeWorkers();
        deps.metrics.webhookDeliveries.inc({ result: 'accepted' });
        deps.metrics.webhookAckSeconds.observe((performance.now() - started) / 1000);
        void reply.code(200).type('text/plain').send('EVENT_RECEIVED');
      });
    },
  });
}
