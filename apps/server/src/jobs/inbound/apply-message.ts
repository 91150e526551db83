import { entryTextOf, mediaOf, opensCareWindow } from '../../domain/entry-text.ts';
import type { InboundEvent, MessageContent } from '../../domain/inbound-event.ts';
import type { Channel, MessagingEndUser, MessagingSession } from '../../domain/model.ts';
import { decideSessionForInbound, nextWindowEnd } from '../../domain/session.ts';
import { enqueue } from '../../storage/queue.ts';
import { upsertEndUserForInbound } from '../../storage/repositories/end-users.ts';
import { linkEndUserToCrm } from '../../crm/link-end-user.ts';
import {
  findEntryByWamid,
  insertEntry,
  insertMedia,
  updateEntry,
  type EntryRow,
} from '../../storage/repositories/entries.ts';
import {
  findLatestSession,
  findSession,
  insertSession,
  recordSessionActivity,
  reopenSession,
} from '../../storage/repositories/sessions.ts';
import {
  channelByPhoneNumberId,
  occurredAtOf,
  type ApplyContext,
  type ApplyOutcome,
} from './apply-context.ts';

export const MEDIA_QUEUE = 'media';

type MessageEvent = Extract<InboundEvent, { kind: 'message' }>;

/**
 * Applies one customer message exactly once: the channel, the end user (linked to the CRM), the
 * session (opened, reused or reopened, with its Case), the entry, and a media download job.
 */
export async function applyMessage(ctx: ApplyContext, parsed: MessageEvent): Promise<ApplyOutcome> {
  const event = { ...parsed, occurredAt: occurredAtOf(ctx, parsed.occurredAt) };
  const phoneNumberId = event.business.phoneNumberId;
  const channel = phoneNumberId ? await channelByPhoneNumberId(ctx, phoneNumberId) : null;
  if (!channel) {
    ctx.unrouted.add(phoneNumberId ?? '(none)');
    return 'unrouted';
  }
  const inbound = opensCareWindow(event.content);
  const { endUser, created } = await upsertEndUserForInbound(
    ctx.db,
    channel.id,
    event.customer,
    inbound ? event.occurredAt : null,
    ctx.now,
  );
  // Checked after the end user's row lock: a concurrent copy of this message has committed by now.
  if (await findEntryByWamid(ctx.db, event.wamid)) return 'duplicate';
  if (created) await linkEndUserToCrm(ctx, channel, endUser);

  const session = await sessionFor(ctx, channel, endUser, event.occurredAt);
  const entry = await insertEntry(
    ctx.db,
    {
      sessionId: session.id,
      channelId: channel.id,
      endUserId: endUser.id,
      direction: 'inbound',
      actorType: 'EndUser',
      type: event.content.type,
      text: entryTextOf(event.content),
      content: {
        ...event.content,
        ...(event.referral && { referral: event.referral }),
        ...(event.context && { context: event.context }),
        ...(event.errors.length > 0 && { errors: event.errors }),
      },
      wamid: event.wamid,
      contextWamid: event.context?.wamid ?? null,
      status: 'received',
      occurredAt: event.occurredAt,
    },
    ctx.now,
  );
  if (!entry) return 'duplicate';
  await recordSessionActivity(
    ctx.db,
    session,
    {
      messageAt: event.occurredAt,
      inbound,
      windowEndsAt: inbound ? nextWindowEnd(session.windowEndsAt, event.occurredAt) : null,
    },
    ctx.now,
  );
  await applyToTarget(ctx, event.content, event.occurredAt);

  const media = mediaOf(event.content);
  if (media) {
    const mediaRowId = await insertMedia(
      ctx.db,
      {
        entryId: entry.id,
        channelId: channel.id,
        mediaId: media.id,
        kind: media.kind,
        mimeType: media.mimeType,
        sha256: media.sha256,
        fileName: media.fileName,
      },
      ctx.now,
    );
    await enqueue(ctx.db, [{ queue: MEDIA_QUEUE, payload: { mediaRowId }, maxAttempts: 8 }], ctx.now);
    ctx.followUpsQueued = true;
  }
  ctx.events.push({
    type: 'entry.created',
    sessionId: session.id,
    entryId: entry.id,
    channelId: channel.id,
    wamid: event.wamid,
  });
  return 'applied';
}

async function sessionFor(
  ctx: ApplyContext,
  channel: Channel,
  endUser: MessagingEndUser,
  messageAt: Date,
): Promise<MessagingSession> {
  const current = await findLatestSession(ctx.db, endUser.id);
  const decision = decideSessionForInbound({
    current,
    reopenWindowMinutes: channel.reopenWindowMinutes,
    messageAt,
  });
  if (decision.action === 'reuse') return current!;
  if (decision.action === 'reopen') {
    await reopenSession(ctx.db, decision.sessionId, ctx.now);
    ctx.events.push({ type: 'session.updated', sessionId: decision.sessionId, status: 'Waiting' });
    return (await findSession(ctx.db, decision.sessionId))!;
  }
  // The end user's link was settled just before (same transaction), so read it fresh.
  const linked = await ctx.db
    .selectFrom('end_users')
    .select(['contact_id', 'lead_id'])
    .where('id', '=', endUser.id)
    .executeTakeFirstOrThrow();
  const kase = channel.createCase
    ? await ctx.crm.openCase(
        ctx.db,
        {
          subject: `WhatsApp conversation with ${endUser.profileName ?? `+${endUser.waId}`}`,
          origin: 'WhatsApp',
          contactId: linked.contact_id,
          leadId: linked.lead_id,
        },
        ctx.now,
      )
    : null;
  const session = await insertSession(
    ctx.db,
    {
      channelId: channel.id,
      endUserId: endUser.id,
      caseId: kase?.id ?? null,
      origin: 'InboundInitiated',
      startedAt: messageAt,
    },
    ctx.now,
  );
  ctx.events.push({
    type: 'session.opened',
    sessionId: session.id,
    channelId: channel.id,
    endUserId: endUser.id,
    caseId: session.caseId,
  });
  return session;
}

/** Edits and revokes change the message they point at; the edit or revoke itself stays an entry. */
async function applyToTarget(ctx: ApplyContext, content: MessageContent, at: Date): Promise<void> {
  if (content.type !== 'edit' && content.type !== 'revoke') return;
  const target: EntryRow | null = await findEntryByWamid(ctx.db, content.targetWamid);
  if (!target) return;
  const previous = JSON.parse(target.content) as Record<string, unknown>;
  if (content.type === 'edit') {
    await updateEntry(ctx.db, target.id, {
      text: entryTextOf(content.newContent),
      content: JSON.stringify({ ...content.newContent, editedAt: at.toISOString(), original: previous }),
    });
  } else {
    await updateEntry(ctx.db, target.id, {
      text: null,
      content: JSON.stringify({ type: previous.type, revoked: true, revokedAt: at.toISOString() }),
    });
  }
  ctx.events.push({
    type: 'entry.updated',
    sessionId: target.session_id,
    entryId: target.id,
    wamid: target.wamid,
    status: target.status,
  });
}
