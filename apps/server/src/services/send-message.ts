import type { Channel, MessagingSession } from '../domain/model.ts';
import type { OutboundMessage, PolicyViolation } from '../domain/outbound.ts';
import { validateOutbound } from '../domain/outbound-validation.ts';
import { checkSendPolicy, isBusinessInitiated } from '../domain/send-policy.ts';
import { checkTemplateSend, renderTemplatePreview } from '../domain/template-rules.ts';
import type { CrmPort } from '../crm/crm-port.ts';
import { linkEndUserToCrm } from '../crm/link-end-user.ts';
import type { DomainEvent } from '../events/event-bus.ts';
import type { Db, DatabaseHandle } from '../storage/db.ts';
import { newId } from '../storage/ids.ts';
import { enqueue } from '../storage/queue.ts';
import { findEntryByWamid, insertEntry } from '../storage/repositories/entries.ts';
import { upsertEndUserForInbound } from '../storage/repositories/end-users.ts';
import {
  businessInitiatedRecipients,
  consentOf,
  findOutboundByIdempotencyKey,
  insertOutbound,
  templatesNamed,
  type OutboundRow,
} from '../storage/repositories/outbound.ts';
import { findLatestSession, insertSession, recordSessionActivity } from '../storage/repositories/sessions.ts';

export const OUTBOUND_QUEUE = 'outbound';

export interface Actor {
  type: 'Agent' | 'Bot' | 'System';
  id: string | null;
  name: string;
}

export interface SendCommand {
  channel: Channel;
  /** send into this conversation (its end user is the recipient); otherwise by channel + `message.to` */
  session?: MessagingSession;
  message: OutboundMessage;
  idempotencyKey?: string;
  actor: Actor;
}

export type SendOutcome =
  | { ok: true; outbound: OutboundRow; replayed: boolean }
  | { ok: false; violation: PolicyViolation }
  | { ok: false; conflict: string };

/**
 * The one path for everything the business sends: validate, check WhatsApp's rules, then store the
 * entry and the intent and queue the send, all in one transaction. Nothing reaches Meta from here.
 */
export async function sendMessage(
  deps: { handle: DatabaseHandle; crm: CrmPort; now: Date },
  command: SendCommand,
): Promise<{ outcome: SendOutcome; events: DomainEvent[] }> {
  const events: DomainEvent[] = [];
  const invalid = validateOutbound(command.message);
  if (invalid.length > 0) {
    const first = invalid[0]!;
    return {
      outcome: { ok: false, violation: { ...first, details: { ...first.details, problems: invalid } } },
      events,
    };
  }
  const outcome = await deps.handle.db.transaction().execute(async (db) => {
    if (command.idempotencyKey) {
      const existing = await findOutboundByIdempotencyKey(db, command.idempotencyKey);
      if (existing) {
        return sameRequest(existing, command)
          ? { ok: true as const, outbound: existing, replayed: true }
          : { ok: false as const, conflict: 'this Idempotency-Key was used for a different request' };
      }
    }
    return queueSend(db, deps, command, events);
  });
  // A 202 promises the send will happen: it must survive a power cut from here on.
  if (outcome.ok) await deps.handle.durable();
  return { outcome, events: outcome.ok ? events : [] };
}

async function queueSend(
  db: Db,
  deps: { crm: CrmPort; now: Date },
  command: SendCommand,
  events: DomainEvent[],
): Promise<SendOutcome> {
  const { channel, message, now } = { ...command, now: deps.now };
  const session = command.session ?? (await sessionForRecipient(db, deps, channel, message.to, events));
  const content = message.content;

  let preview: string | null = null;
  let category: string | null = null;
  let template = null;
  if (content.type === 'template') {
    const named = channel.wabaId ? await templatesNamed(db, channel.wabaId, content.template.name) : [];
    template = named.find((t) => t.language === content.template.language) ?? null;
    const violation = checkTemplateSend(content.template, template, named);
    if (violation) return { ok: false, violation };
    preview = renderTemplatePreview(template!, content.template);
    category = template!.category;
  }
  const tier = await businessInitiatedRecipients(db, channel.id, message.to, now, channel.messagingLimit);
  const reactionTarget = content.type === 'reaction' ? await findEntryByWamid(db, content.targetWamid) : null;
  const violation = checkSendPolicy({
    content,
    now,
    windowEndsAt: session.windowEndsAt,
    consent: await consentOf(db, channel.id, message.to),
    template,
    templateCategory: category,
    tier: {
      limit: channel.messagingLimit,
      recipientsLast24h: tier.count,
      recipientCountedAlready: tier.includesRecipient,
    },
    reactionTargetAt: reactionTarget ? new Date(reactionTarget.occurred_at) : null,
  });
  if (violation) return { ok: false, violation };

  const entry = await insertEntry(
    db,
    {
      sessionId: session.id,
      channelId: channel.id,
      endUserId: session.endUserId,
      direction: 'outbound',
      actorType: command.actor.type,
      actorId: command.actor.id,
      type: content.type,
      text: preview ?? outboundText(message),
      content: { ...content, ...(message.replyToWamid && { replyToWamid: message.replyToWamid }) },
      wamid: null,
      contextWamid: message.replyToWamid ?? null,
      status: 'queued',
      occurredAt: now,
    },
    now,
  );
  const id = newId();
  await insertOutbound(db, {
    id,
    entry_id: entry!.id,
    channel_id: channel.id,
    session_id: session.id,
    to_wa_id: message.to,
    request: JSON.stringify(message),
    status: 'queued',
    business_initiated: isBusinessInitiated(content, now, session.windowEndsAt) ? 1 : 0,
    idempotency_key: command.idempotencyKey ?? null,
    created_by: command.actor.name,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  });
  await enqueue(db, [{ queue: OUTBOUND_QUEUE, payload: { outboundId: id }, maxAttempts: 10 }], now);
  await recordSessionActivity(db, session, { messageAt: now, inbound: false, windowEndsAt: null }, now);
  events.push({
    type: 'entry.created',
    sessionId: session.id,
    entryId: entry!.id,
    channelId: channel.id,
    wamid: null,
  });
  const outbound = await db
    .selectFrom('outbound_messages')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { ok: true, outbound, replayed: false };
}

/** The recipient's open conversation, or a new business-initiated one (with a CRM-linked end user). */
async function sessionForRecipient(
  db: Db,
  deps: { crm: CrmPort; now: Date },
  channel: Channel,
  waId: string,
  events: DomainEvent[],
): Promise<MessagingSession> {
  const { endUser, created } = await upsertEndUserForInbound(
    db,
    channel.id,
    { waId, userId: null, parentUserId: null, profileName: null },
    null,
    deps.now,
  );
  if (created) await linkEndUserToCrm({ db, now: deps.now, crm: deps.crm, events }, channel, endUser);
  const latest = await findLatestSession(db, endUser.id);
  if (latest && latest.status !== 'Ended') return latest;
  const session = await insertSession(
    db,
    {
      channelId: channel.id,
      endUserId: endUser.id,
      caseId: null,
      origin: 'OutboundInitiated',
      startedAt: deps.now,
    },
    deps.now,
  );
  events.push({
    type: 'session.opened',
    sessionId: session.id,
    channelId: channel.id,
    endUserId: endUser.id,
    caseId: null,
  });
  return session;
}

function outboundText(message: OutboundMessage): string | null {
  const c = message.content;
  switch (c.type) {
    case 'text':
      return c.body;
    case 'interactive':
      return c.interactive.body;
    case 'reaction':
      return c.emoji || null;
    case 'template':
      return c.template.name;
    default:
      return c.media.caption ?? c.media.filename ?? null;
  }
}

function sameRequest(existing: OutboundRow, command: SendCommand): boolean {
  return (
    existing.request === JSON.stringify(command.message) &&
    (!command.session || command.session.id === existing.session_id)
  );
}
