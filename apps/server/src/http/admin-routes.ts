import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { Channel } from '../domain/model.ts';
import { recordAudit } from '../storage/repositories/audit.ts';
import {
  findChannelByPhoneNumberId,
  listChannels,
  setChannelCredentials,
  upsertChannel,
} from '../storage/repositories/channels.ts';
import { listWebhookEvents, requeueUnroutedDeliveries } from '../storage/repositories/webhook-events.ts';
import type { ApiRouteDeps } from './api-routes.ts';
import { parseInput } from './validation.ts';
import { ApiError } from './errors.ts';
import { actorName } from './auth.ts';

const channelInput = z.object({
  phoneNumberId: z.string().regex(/^\d+$/),
  name: z.string().min(1).max(120).optional(),
  wabaId: z.string().regex(/^\d+$/).optional(),
  displayPhoneNumber: z.string().max(32).optional(),
  verifiedName: z.string().max(120).optional(),
  throughputMps: z.number().int().min(1).max(1000).optional(),
  unmatchedCustomerRule: z.enum(['lead', 'contact', 'none']).optional(),
  reopenWindowMinutes: z
    .number()
    .int()
    .min(0)
    .max(60 * 24 * 30)
    .optional(),
  createCase: z.boolean().optional(),
  messagingLimit: z
    .union([z.literal(250), z.literal(1000), z.literal(2000), z.literal(10000), z.literal(100000), z.null()])
    .optional(),
  sharedWithBusinessApp: z.boolean().optional(),
});

/** Channel set-up and the delivery report. Needs a bearer token like the read API. */
export async function adminRoutes(
  app: FastifyInstance,
  deps: ApiRouteDeps & { onRequeued?: () => void; onCredentialsChanged?: () => void },
) {
  const db = deps.handle.db;

  app.get('/api/v1/channels', async () => ({ data: (await listChannels(db)).map(channelJson) }));

  app.put('/api/v1/channels/:phoneNumberId', async (request) => {
    const { phoneNumberId } = request.params as { phoneNumberId: string };
    const input = parseInput(channelInput, { ...(request.body as object), phoneNumberId });
    const now = deps.clock.now();
    const { channel, requeued } = await db.transaction().execute(async (trx) => {
      const channel = await upsertChannel(trx, input, now);
      const requeued = await requeueUnroutedDeliveries(trx, now);
      await recordAudit(
        trx,
        {
          actor: actorName(request),
          action: 'channel.upsert',
          subjectType: 'Channel',
          subjectId: channel.id,
          detail: input,
        },
        now,
      );
      return { channel, requeued };
    });
    if (requeued > 0) deps.onRequeued?.();
    return { ...channelJson(channel), requeuedDeliveries: requeued };
  });

  // New WhatsApp credentials for a channel: its held sends resume at once.
  app.put('/api/v1/channels/:phoneNumberId/credentials', async (request) => {
    const { phoneNumberId } = request.params as { phoneNumberId: string };
    const { accessToken } = parseInput(z.object({ accessToken: z.string().min(20).max(1024) }), request.body);
    const channel = await findChannelByPhoneNumberId(db, phoneNumberId);
    if (!channel) throw new ApiError('not_found', `no channel ${phoneNumberId}`);
    const now = deps.clock.now();
    await db.transaction().execute(async (trx) => {
      await setChannelCredentials(trx, channel.id, accessToken, now);
      await trx
        .updateTable('jobs')
        .set({ run_at: now.toISOString() })
        .where('queue', '=', 'outbound')
        .where('status', '=', 'queued')
        .execute();
      await recordAudit(
        trx,
        {
          actor: actorName(request),
          action: 'channel.credentials',
          subjectType: 'Channel',
          subjectId: channel.id,
        },
        now,
      );
    });
    deps.onCredentialsChanged?.();
    return { status: 'active' };
  });

  app.get('/api/v1/webhook-events', async (request) => {
    const q = parseInput(
      z.object({
        status: z.enum(['received', 'applied', 'unrouted', 'failed']).default('unrouted'),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      request.query,
    );
    const rows = await listWebhookEvents(db, q.status, q.limit);
    return {
      data: rows.map((r) => ({
        id: r.id,
        receivedAt: r.received_at,
        status: r.status,
        appliedAt: r.applied_at,
        note: r.note,
      })),
    };
  });
}

function channelJson(c: Channel) {
  return { ...c, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() };
}
