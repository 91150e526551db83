import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Clock } from './domain/clock.ts';
import type { CrmPort } from './crm/crm-port.ts';
import type { EventBus } from './events/event-bus.ts';
import { deadLetterRoutes } from './http/dead-letter-routes.ts';
import { sendRoutes } from './http/send-routes.ts';
import { templateRoutes } from './http/template-routes.ts';
import { messageActionRoutes } from './http/message-action-routes.ts';
import type { GraphClient } from './channels/whatsapp/graph-client.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { DatabaseHandle } from './storage/db.ts';
import type { WebhookInbox } from './storage/webhook-inbox.ts';
import { adminRoutes } from './http/admin-routes.ts';
import { apiRoutes } from './http/api-routes.ts';
import { createAuthenticator } from './http/auth.ts';
import { ApiError, errorBody } from './http/errors.ts';
import { MAX_WEBHOOK_BYTES, webhookRoutes } from './http/webhook-routes.ts';
import { countWebhookEvents } from './storage/repositories/webhook-events.ts';
import type { JobQueue } from './storage/queue.ts';

export interface AppDeps {
  handle: DatabaseHandle;
  inbox: WebhookInbox;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  whatsapp: { appSecret: string | undefined; verifyToken: string | undefined };
  adminApiToken: string | undefined;
  crm: CrmPort;
  bus: EventBus;
  graph: GraphClient;
  /** the Graph token for a channel: its own, else the configured one */
  accessTokenFor: (channelId: string) => Promise<string | null>;
  tokenForWaba: (wabaId: string) => Promise<string | null>;
  /** wakes the inbound worker when new work was committed */
  onWorkQueued?: () => void;
  /** wakes the sender when a send was queued */
  onOutboundQueued?: () => void;
}

/** The HTTP app. It never listens itself: main.ts (or a test) does. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One line per request at webhook rates is noise; metrics count them, errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_WEBHOOK_BYTES,
    trustProxy: true,
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ApiError)
      return reply.code(error.status).send(errorBody(error.code, error.message, error.details));
    const err = error as { code?: string; statusCode?: number; message: string };
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .code(413)
        .send(errorBody('payload_too_large', `body larger than ${MAX_WEBHOOK_BYTES} bytes`));
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send(errorBody('unsupported_media_type', err.message));
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send(errorBody('invalid_request', err.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorBody('internal', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await deps.handle.db.selectFrom('channels').select('id').limit(1).execute();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send(errorBody('not_ready', 'database unavailable'));
    }
  });
  app.get('/metrics', async (_request, reply) => {
    await refreshGauges(deps);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  await app.register(async (scope) =>
    webhookRoutes(scope, {
      appSecret: deps.whatsapp.appSecret,
      verifyToken: deps.whatsapp.verifyToken,
      inbox: deps.inbox,
      metrics: deps.metrics,
      onStored: deps.onWorkQueued,
    }),
  );
  const authenticate = createAuthenticator(deps.handle, deps.adminApiToken);
  const apiDeps = { handle: deps.handle, clock: deps.clock, authenticate };
  // Every /api/v1 route needs a bearer token: one hook for the whole scope.
  await app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      request.principal = await authenticate(request);
    });
    await apiRoutes(api, apiDeps);
    await adminRoutes(api, {
      ...apiDeps,
      onRequeued: deps.onWorkQueued,
      onCredentialsChanged: deps.onOutboundQueued,
    });
    await sendRoutes(api, { ...apiDeps, crm: deps.crm, bus: deps.bus, onQueued: deps.onOutboundQueued });
    await deadLetterRoutes(api, { ...apiDeps, onQueued: deps.onOutboundQueued });
    await templateRoutes(api, { ...apiDeps, graph: deps.graph, tokenForWaba: deps.tokenForWaba });
    await messageActionRoutes(api, { ...apiDeps, graph: deps.graph, accessTokenFor: deps.accessTokenFor });
  });
  return app;
}

async function refreshGauges(deps: AppDeps): Promise<void> {
  const stats = await deps.queue.stats();
  deps.metrics.queueDepth.reset();
  deps.metrics.queueLagSeconds.reset();
  for (const s of stats) {
    deps.metrics.queueDepth.set({ queue: s.queue, state: 'ready' }, s.queued);
    deps.metrics.queueDepth.set({ queue: s.queue, state: 'scheduled' }, s.scheduled);
    deps.metrics.queueDepth.set({ queue: s.queue, state: 'running' }, s.running);
    deps.metrics.queueDepth.set({ queue: s.queue, state: 'dead' }, s.dead);
    deps.metrics.queueLagSeconds.set({ queue: s.queue }, s.oldestReadyAgeMs / 1000);
  }
  deps.metrics.unroutedWebhookEvents.set(await countWebhookEvents(deps.handle.db, 'unrouted'));
  const held = await deps.handle.db
    .selectFrom('channels')
    .select('id')
    .where('status', '=', 'needs_credentials')
    .execute();
  deps.metrics.channelsNeedingCredentials.set(held.length);
}
