import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CrmPort } from '../crm/crm-port.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { OutboundMessage } from '../domain/outbound.ts';
import { sendMessage, type SendOutcome } from '../services/send-message.ts';
import { findChannel, findChannelByPhoneNumberId } from '../storage/repositories/channels.ts';
import { findOutbound, type OutboundRow } from '../storage/repositories/outbound.ts';
import { findSession } from '../storage/repositories/sessions.ts';
import type { ApiRouteDeps } from './api-routes.ts';
import { ApiError, errorBody, type ErrorCode } from './errors.ts';
import { conversationSendSchema, directSendSchema } from './send-schema.ts';
import { parseInput } from './validation.ts';
import { actorName, type Principal } from './auth.ts';

export interface SendRouteDeps extends ApiRouteDeps {
  crm: CrmPort;
  bus: EventBus;
  /** wakes the sender after a send was queued */
  onQueued?: () => void;
}

/** The send API: everything the business sends is checked here and queued for the sender. */
export async function sendRoutes(app: FastifyInstance, deps: SendRouteDeps): Promise<void> {
  const db = deps.handle.db;

  app.post('/api/v1/conversations/:id/messages', async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = parseInput(conversationSendSchema, request.body, 'invalid_message');
    const session = await findSession(db, id);
    if (!session) throw new ApiError('not_found', `no conversation ${id}`);
    const channel = await findChannel(db, session.channelId);
    const endUser = await db
      .selectFrom('end_users')
      .select('wa_id')
      .where('id', '=', session.endUserId)
      .executeTakeFirstOrThrow();
    const message: OutboundMessage = {
      to: endUser.wa_id,
      content: body.content,
      ...(body.replyToWamid && { replyToWamid: body.replyToWamid }),
    };
    return answer(reply, await send(deps, { channel: channel!, session, message }, request));
  });

  app.post('/api/v1/messages', async (request, reply) => {
    const body = parseInput(directSendSchema, request.body, 'invalid_message');
    const channel =
      (await findChannel(db, body.channel)) ?? (await findChannelByPhoneNumberId(db, body.channel));
    if (!channel)
      throw new ApiError('not_found', `no channel ${body.channel} (give its id or phone_number_id)`);
    const message: OutboundMessage = {
      to: body.to,
      content: body.content,
      ...(body.replyToWamid && { replyToWamid: body.replyToWamid }),
    };
    return answer(reply, await send(deps, { channel, message }, request));
  });

  app.get('/api/v1/outbound/:id', async (request) => {
    const { id } = request.params as { id: string };
    const row = await findOutbound(db, id);
    if (!row) throw new ApiError('not_found', `no outbound message ${id}`);
    return outboundJson(row);
  });
}

async function send(
  deps: SendRouteDeps,
  command: Omit<Parameters<typeof sendMessage>[1], 'actor' | 'idempotencyKey'>,
  request: { headers: Record<string, string | string[] | undefined>; principal?: Principal },
): Promise<SendOutcome> {
  const key = request.headers['idempotency-key'];
  if (Array.isArray(key) || (key !== undefined && (key.length < 1 || key.length > 255))) {
    throw new ApiError('invalid_request', 'Idempotency-Key must be one value of 1 to 255 characters');
  }
  const { outcome, events } = await sendMessage(
    { handle: deps.handle, crm: deps.crm, now: deps.clock.now() },
    {
      ...command,
      ...(key && { idempotencyKey: key }),
      actor: { type: 'Agent', id: null, name: actorName(request) },
    },
  );
  if (outcome.ok && !outcome.replayed) {
    deps.bus.publish(events);
    deps.onQueued?.();
  }
  return outcome;
}

function answer(reply: FastifyReply, outcome: SendOutcome) {
  if (outcome.ok) return reply.code(outcome.replayed ? 200 : 202).send(outboundJson(outcome.outbound));
  if ('conflict' in outcome) return reply.code(409).send(errorBody('conflict', outcome.conflict));
  const v = outcome.violation;
  return reply
    .code(422)
    .send(errorBody(v.code as ErrorCode, v.message, { ...(v.field && { field: v.field }), ...v.details }));
}

export function outboundJson(row: OutboundRow) {
  return {
    id: row.id,
    entryId: row.entry_id,
    conversationId: row.session_id,
    channelId: row.channel_id,
    to: row.to_wa_id,
    status: row.status,
    wamid: row.wamid,
    attempts: row.attempts,
    businessInitiated: row.business_initiated === 1,
    lastError: row.last_error ? (JSON.parse(row.last_error) as unknown) : null,
    createdAt: row.created_at,
    acceptedAt: row.accepted_at,
  };
}
