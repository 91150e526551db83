import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics; one registry per app instance so tests never share counters. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhookDeliveries: new Counter({
      name: 'switchboard_webhook_deliveries_total',
      help: 'Webhook deliveries by result (accepted, bad_signature, malformed, too_large, error)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    webhookAckSeconds: new Histogram({
      name: 'switchboard_webhook_ack_seconds',
      help: 'Time from request start to the durable 200 acknowledgement',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    webhookGroupCommitSize: new Histogram({
      name: 'switchboard_webhook_group_commit_size',
      help: 'Deliveries committed together in one transaction',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
      registers: [registry],
    }),
    inboundEvents: new Counter({
      name: 'switchboard_inbound_events_total',
      help: 'Parsed webhook events applied, by kind and outcome (applied, duplicate, unrouted)',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'switchboard_queue_depth',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    }),
    queueLagSeconds: new Gauge({
      name: 'switchboard_queue_lag_seconds',
      help: 'Age of the oldest ready job per queue',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    outboundSends: new Counter({
      name: 'switchboard_outbound_sends_total',
      help: 'Graph API send attempts by result (accepted, retry, credentials, permanent, dead)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    channelsNeedingCredentials: new Gauge({
      name: 'switchboard_channels_needing_credentials',
      help: 'Channels whose sends are held until their WhatsApp credentials are fixed',
      registers: [registry],
    }),
    unroutedWebhookEvents: new Gauge({
      name: 'switchboard_webhook_events_unrouted',
      help: 'Stored deliveries for a phone_number_id that has no channel',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
