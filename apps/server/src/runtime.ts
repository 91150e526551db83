import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { GraphMediaClient } from './channels/whatsapp/media-client.ts';
import type { Config } from './config/config.ts';
import { EmbeddedCrm } from './crm/embedded/embedded-crm.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import { EventBus } from './events/event-bus.ts';
import { createInboundWorker } from './jobs/inbound/inbound-worker.ts';
import { IngestPacer } from './jobs/inbound/ingest-pacer.ts';
import { MEDIA_QUEUE } from './jobs/inbound/apply-message.ts';
import { createMediaHandler } from './jobs/media-worker.ts';
import { WorkerLoop } from './jobs/worker-loop.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { FileBlobStore } from './storage/blob-store.ts';
import { migrateToLatest, openDatabase, statementsHoldEventLoop, type DatabaseHandle } from './storage/db.ts';
import { JobQueue } from './storage/queue.ts';
import { findChannelAccessToken, upsertChannel } from './storage/repositories/channels.ts';
import { GraphClient } from './channels/whatsapp/graph-client.ts';
import { OutboundLimits } from './jobs/outbound/limits.ts';
import { createSenderHandler } from './jobs/outbound/sender.ts';
import { OUTBOUND_QUEUE } from './services/send-message.ts';
import { TEMPLATE_SYNC_QUEUE } from './services/templates.ts';
import { createTemplateSyncHandler, scheduleTemplateSyncs } from './jobs/template-sync.ts';
import { listChannels } from './storage/repositories/channels.ts';
import { INBOUND_QUEUE, WebhookInbox } from './storage/webhook-inbox.ts';

export interface Runtime {
  readonly config: Config;
  readonly handle: DatabaseHandle;
  readonly app: FastifyInstance;
  readonly bus: EventBus;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** listens (http) and starts the workers, as configured; returns the base URL */
  start(): Promise<string>;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  logger?: Logger;
  /** run the HTTP server (false for `switchboard worker`) */
  http?: boolean;
}

/** The composition root: builds every adapter from the config and wires them together. */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const bus = new EventBus();
  const handle = await openDatabase(
    config.database.kind === 'sqlite'
      ? {
          kind: 'sqlite',
          file: config.database.file,
          synchronous: config.database.synchronous,
        }
      : // room for every worker loop's transaction beside the inbox's commits and the API
        { kind: 'postgres', url: config.database.url, poolSize: 10 + config.workers.concurrency },
  );
  await migrateToLatest(handle);
  if (config.whatsapp.phoneNumberId) {
    await upsertChannel(
      handle.db,
      {
        phoneNumberId: config.whatsapp.phoneNumberId,
        ...(config.whatsapp.wabaId && { wabaId: config.whatsapp.wabaId }),
      },
      clock.now(),
    );
  }

  const workerId = `${os.hostname()}:${process.pid}`;
  const queue = new JobQueue(handle, { workerId, clock, leaseMs: config.workers.leaseMs });
  const inbox = new WebhookInbox(handle, clock, {
    onCommitted: (n) => metrics.webhookGroupCommitSize.observe(n),
  });
  const crm = new EmbeddedCrm();
  const loops: WorkerLoop[] = [];
  // A token set for the channel through the API wins over the configured one.
  const accessTokenFor = async (channelId: string) =>
    (await findChannelAccessToken(handle.db, channelId)) ?? config.whatsapp.accessToken ?? null;
  const tokenForWaba = async (wabaId: string) => {
    const channel = (await listChannels(handle.db)).find((c) => c.wabaId === wabaId);
    return channel ? accessTokenFor(channel.id) : (config.whatsapp.accessToken ?? null);
  };
  const graph = new GraphClient({
    graphUrl: config.whatsapp.graphUrl,
    apiVersion: config.whatsapp.apiVersion,
    timeoutMs: config.whatsapp.timeoutMs,
  });
  let senderLoop: WorkerLoop | null = null;
  let inboundLoop: WorkerLoop | null = null;
  if (config.workers.enabled) {
    senderLoop = new WorkerLoop({
      queue,
      queues: [OUTBOUND_QUEUE],
      batchSize: 200,
      concurrency: 4,
      idleMs: 200,
      handler: createSenderHandler({
        handle,
        queue,
        graph,
        clock,
        bus,
        logger,
        metrics,
        limits: new OutboundLimits(),
        reconcileGraceMs: config.outboundReconcileMs,
        accessTokenFor: (channel) => accessTokenFor(channel.id),
      }),
      logger,
    });
    const mediaLoop = new WorkerLoop({
      queue,
      queues: [MEDIA_QUEUE],
      batchSize: 4,
      concurrency: 2,
      idleMs: 1000,
      handler: createMediaHandler({
        handle,
        queue,
        client: new GraphMediaClient({
          graphUrl: config.whatsapp.graphUrl,
          apiVersion: config.whatsapp.apiVersion,
        }),
        blobs: new FileBlobStore(path.join(config.dataDir, 'blobs')),
        clock,
        bus,
        logger,
        accessTokenFor,
      }),
      logger,
    });
    const inbound = createInboundWorker({
      handle,
      queue,
      crm,
      bus,
      clock,
      metrics,
      logger,
      afterCommit: () => mediaLoop.notify(),
      pacer: new IngestPacer((nowMs, windowMs) => inbox.recentRate(nowMs, windowMs), {
        turns: statementsHoldEventLoop(handle),
      }),
    });
    inboundLoop = new WorkerLoop({
      queue,
      queues: [INBOUND_QUEUE],
      batchSize: 100,
      concurrency: config.workers.concurrency,
      handler: inbound.handler,
      take: inbound.take,
      logger,
    });
    const templateLoop = new WorkerLoop({
      queue,
      queues: [TEMPLATE_SYNC_QUEUE],
      batchSize: 1,
      concurrency: 1,
      idleMs: 2_000,
      handler: createTemplateSyncHandler({
        handle,
        queue,
        graph,
        clock,
        bus,
        logger,
        tokenForWaba,
      }),
      logger,
    });
    loops.push(inboundLoop, mediaLoop, senderLoop, templateLoop);
  }
  // New deliveries concern the inbound worker only; each wake-up costs a woken loop a claim query.
  const wake = () => inboundLoop?.notify();
  const app = await buildApp({
    handle,
    inbox,
    queue,
    clock,
    logger,
    metrics,
    whatsapp: { appSecret: config.whatsapp.appSecret, verifyToken: config.whatsapp.verifyToken },
    adminApiToken: config.adminApiToken,
    crm,
    bus,
    graph,
    accessTokenFor,
    tokenForWaba,
    onWorkQueued: wake,
    onOutboundQueued: () => senderLoop?.notify(),
  });

  let listening = false;
  return {
    config,
    handle,
    app,
    bus,
    metrics,
    logger,
    async start() {
      if (config.workers.enabled) {
        const wabaIds = [
          ...new Set((await listChannels(handle.db)).flatMap((c) => (c.wabaId ? [c.wabaId] : []))),
        ];
        await scheduleTemplateSyncs(handle, wabaIds, clock.now());
      }
      loops.forEach((l) => l.start());
      if (options.http === false) return '';
      const address = await app.listen({ port: config.port, host: config.host });
      listening = true;
      return address;
    },
    async stop() {
      if (listening) await closeHttp(app);
      await Promise.all(loops.map((l) => l.stop()));
      await handle.close();
    },
  };
}

/**
 * Closes the HTTP server without waiting on keep-alive clients. Fastify closes the connections that
 * are idle when closing starts, but one busy then (a webhook waiting for its commit) turns idle once
 * answered and held the close until the client dropped it or Fastify's 72 s keep-alive timeout ran
 * out: a stop that overlapped one of Meta's (or the simulator's) deliveries took a minute.
 */
async function closeHttp(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}
