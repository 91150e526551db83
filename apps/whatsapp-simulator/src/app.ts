import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registerAdminRoutes } from './admin.ts';
import type { SimulatorCore } from './core.ts';
import { GraphError } from './errors.ts';
import { registerMediaRoutes } from './media/routes.ts';
import { registerMessageRoutes } from './messages/routes.ts';
import { registerPhoneRoutes } from './phone/routes.ts';
import { registerTemplateRoutes } from './templates/routes.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** a Graph API route: counted, faulted, token-checked */
    graph?: string;
    /** Graph routes that skip the bearer check (the signed media download checks it itself) */
    public?: boolean;
  }
}

const VERSION = /^v\d+\.\d+$/;
/** multipart media uploads: the largest type (documents) is 100 MB, plus form overhead */
export const UPLOAD_BODY_LIMIT = 101 * 1024 * 1024;

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.['access_token'] === 'string' ? query['access_token'] : undefined;
}

/** The simulator's HTTP app: Graph API look-alike, admin API and phone page. Never listens itself. */
export function buildSimulatorApp(core: SimulatorCore): FastifyInstance {
  const app = Fastify({
    logger: core.options.logger,
    forceCloseConnections: true,
    bodyLimit: 2 * 1024 * 1024,
  });

  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: UPLOAD_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );

  app.addHook('onRequest', async (request, reply) => {
    const graph = request.routeOptions.config.graph;
    if (!graph) return;
    core.counters.requests += 1;
    core.counters.requestRoutes.add(graph);
    const faults = core.faults.get();
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (core.faults.roll('timeoutRate')) {
      // never answer; the socket is destroyed when the client gives up or the simulator closes
      reply.hijack();
      core.counters.requestStatuses.add('timeout');
      return;
    }
    if (core.faults.roll('errorRate')) {
      throw new GraphError(131000, 'Something went wrong. Please retry the request.', {
        transient: true,
        status: 500,
      });
    }
  });

  app.addHook('preHandler', async (request) => {
    const config = request.routeOptions.config;
    if (!config.graph) return;
    const params = request.params as Record<string, string>;
    if (params['version'] !== undefined && !VERSION.test(params['version'])) {
      throw new GraphError(2500, 'Unknown path components', {
        message: `Unknown path components: /${params['version']}`,
        omitErrorData: true,
      });
    }
    if (!config.public) core.authorize(tokenOf(request));
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.config.graph) core.counters.requestStatuses.add(String(reply.statusCode));
  });

  app.setErrorHandler(async (error: unknown, _request, reply: FastifyReply) => {
    const graphError = toGraphError(error);
    core.counters.requestErrorCodes.add(String(graphError.code));
    return reply.status(graphError.status).send(graphError.toBody());
  });

  app.setNotFoundHandler(async (request, reply) => {
    const e = new GraphError(2500, 'Unknown path components', {
      message: `Unknown path components: ${request.url.split('?')[0]}`,
      omitErrorData: true,
    });
    return reply.status(404).send(e.toBody());
  });

  registerMessageRoutes(app, core);
  registerMediaRoutes(app, core);
  registerTemplateRoutes(app, core);
  registerAdminRoutes(app, core);
  registerPhoneRoutes(app, core);
  return app;
}

/** Fastify's own failures (bad JSON, body too large, wrong content type) in Graph's envelope. */
function toGraphError(error: unknown): GraphError {
  if (error instanceof GraphError) return error;
  const e = error as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new GraphError(100, 'Request body is too large', {
      message: '(#100) Invalid parameter',
      status: 413,
    });
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new GraphError(100, e.message ?? 'Invalid request', { message: '(#100) Invalid parameter' });
  }
  return new GraphError(1, e.message ?? 'Unknown error', {
    message: 'An unknown error has occurred.',
    status: 500,
  });
}
