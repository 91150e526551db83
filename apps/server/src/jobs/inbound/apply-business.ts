import { createHash } from 'node:crypto';
import type { InboundEvent } from '../../domain/inbound-event.ts';
import type { Channel } from '../../domain/model.ts';
import { findChannelsByWabaId, updateChannelFields } from '../../storage/repositories/channels.ts';
import { findEndUserByChannelAndWaId } from '../../storage/repositories/end-users.ts';
import { newId } from '../../storage/ids.ts';
import { enqueue } from '../../storage/queue.ts';
import { TEMPLATE_SYNC_QUEUE } from '../../services/templates.ts';
import {
  channelByPhoneNumberId,
  occurredAtOf,
  type ApplyContext,
  type ApplyOutcome,
} from './apply-context.ts';

type BusinessEvent = Exclude<InboundEvent, { kind: 'message' } | { kind: 'status' }>;

/**
 * Account, number, template and preference changes. Each is kept as a business event (keyed by its
 * content, so a re-delivery adds nothing) and applied to the channel, template or consent it names.
 */
export async function applyBusinessEvent(ctx: ApplyContext, event: BusinessEvent): Promise<ApplyOutcome> {
  if (event.kind === 'user_preference') return applyUserPreference(ctx, event);

  const wabaId = 'business' in event ? event.business.wabaId : event.wabaId;
  const field = fieldOf(event);
  const payload = JSON.stringify(event);
  // Keyed by what Meta sent (events without a timestamp of their own carry the parse sentinel
  // here, not the receipt time, so a re-delivery gets the same key); stored with a real time.
  const id = contentKey(field, wabaId ?? '', payload);
  const occurredAt = occurredAtOf(ctx, event.occurredAt).toISOString();
  const channels = wabaId ? await findChannelsByWabaId(ctx.db, wabaId) : [];
  const inserted = await ctx.db
    .insertInto('business_events')
    .values({
      id,
      channel_id: channels.length === 1 ? channels[0]!.id : null,
      waba_id: wabaId,
      field,
      event: 'event' in event ? event.event : 'status' in event ? event.status : null,
      payload,
      occurred_at: occurredAt,
      created_at: ctx.now.toISOString(),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return 'duplicate';

  switch (event.kind) {
    case 'template_status':
    case 'template_quality':
    case 'template_category':
      await applyTemplateChange(ctx, event);
      // The webhook carries the status only: fetch the whole template (components, format) again.
      await enqueue(ctx.db, [{ queue: TEMPLATE_SYNC_QUEUE, payload: { wabaId: event.wabaId } }], ctx.now);
      break;
    case 'account_update':
      // Reviews and alerts are kept as events; only account_update carries the account's state.
      if (event.field !== 'account_update') break;
      for (const c of channels) {
        await updateChannelFields(ctx.db, c.id, { account_status: event.event }, ctx.now);
        ctx.events.push({ type: 'channel.updated', channelId: c.id });
      }
      break;
    case 'phone_number_quality':
      for (const c of numbered(channels, event.displayPhoneNumber)) {
        await updateChannelFields(
          ctx.db,
          c.id,
          {
            quality_rating: event.event,
            messaging_limit_tier: event.currentLimit ?? c.messagingLimitTier,
            display_phone_number: c.displayPhoneNumber ?? event.displayPhoneNumber,
          },
          ctx.now,
        );
        ctx.events.push({ type: 'channel.updated', channelId: c.id });
      }
      break;
    case 'phone_number_name':
      if (event.decision === 'APPROVED' && event.requestedVerifiedName) {
        for (const c of numbered(channels, event.displayPhoneNumber)) {
          await updateChannelFields(ctx.db, c.id, { verified_name: event.requestedVerifiedName }, ctx.now);
          ctx.events.push({ type: 'channel.updated', channelId: c.id });
        }
      }
      break;
    default:
      break;
  }
  return 'applied';
}

type TemplateEvent = Extract<
  InboundEvent,
  { kind: 'template_status' | 'template_quality' | 'template_category' }
>;

async function applyTemplateChange(ctx: ApplyContext, event: TemplateEvent): Promise<void> {
  const at = ctx.now.toISOString();
  const byId = event.templateId
    ? await ctx.db
        .selectFrom('templates')
        .selectAll()
        .where('meta_template_id', '=', event.templateId)
        .executeTakeFirst()
    : undefined;
  const existing =
    byId ??
    (event.templateName && event.language
      ? await ctx.db
          .selectFrom('templates')
          .selectAll()
          .where('waba_id', '=', event.wabaId)
          .where('name', '=', event.templateName)
          .where('language', '=', event.language)
          .executeTakeFirst()
      : undefined);
  const changes = {
    ...(event.kind === 'template_status' && {
      status: event.status,
      rejected_reason: event.status === 'REJECTED' ? event.reason : null,
    }),
    ...(event.kind === 'template_quality' && { quality_score: event.newScore }),
    ...(event.kind === 'template_category' && { category: event.newCategory }),
  };
  if (existing) {
    await ctx.db
      .updateTable('templates')
      .set({ ...changes, updated_at: at })
      .where('id', '=', existing.id)
      .execute();
  } else if (event.templateName && event.language) {
    // A template we have not synced yet: remember what Meta told us; the template sync fills the rest.
    await ctx.db
      .insertInto('templates')
      .values({
        id: newId(),
        waba_id: event.wabaId,
        meta_template_id: event.templateId,
        name: event.templateName,
        language: event.language,
        category: null,
        status: event.kind === 'template_status' ? event.status : 'UNKNOWN',
        quality_score: null,
        rejected_reason: null,
        components: null,
        created_at: at,
        updated_at: at,
        ...changes,
      })
      .onConflict((oc) => oc.columns(['waba_id', 'name', 'language']).doNothing())
      .execute();
  }
  ctx.events.push({
    type: 'template.updated',
    wabaId: event.wabaId,
    name: event.templateName,
    status: event.kind === 'template_status' ? event.status : 'changed',
  });
}

type PreferenceEvent = Extract<InboundEvent, { kind: 'user_preference' }>;

/** Marketing opt-out and opt-in that the customer set in WhatsApp itself become consent records. */
async function applyUserPreference(ctx: ApplyContext, event: PreferenceEvent): Promise<ApplyOutcome> {
  const phoneNumberId = event.business.phoneNumberId;
  const channel = phoneNumberId ? await channelByPhoneNumberId(ctx, phoneNumberId) : null;
  if (!channel) {
    ctx.unrouted.add(phoneNumberId ?? '(none)');
    return 'unrouted';
  }
  const endUser = await findEndUserByChannelAndWaId(ctx.db, channel.id, event.customer.waId);
  const occurredAt = occurredAtOf(ctx, event.occurredAt).toISOString();
  const inserted = await ctx.db
    .insertInto('consent_records')
    .values({
      id: contentKey(
        'user_preferences',
        channel.id,
        event.customer.waId,
        event.category,
        event.value,
        occurredAt,
      ),
      channel_id: channel.id,
      end_user_id: endUser?.id ?? null,
      wa_id: event.customer.waId,
      status: event.value === 'stop' ? 'opt_out' : 'opt_in',
      scope: event.category,
      source: 'whatsapp_user_preferences',
      detail: event.detail,
      occurred_at: occurredAt,
      created_at: ctx.now.toISOString(),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted ? 'applied' : 'duplicate';
}

function fieldOf(event: BusinessEvent): string {
  switch (event.kind) {
    case 'template_status':
      return 'message_template_status_update';
    case 'template_quality':
      return 'message_template_quality_update';
    case 'template_category':
      return 'template_category_update';
    case 'account_update':
      return event.field;
    case 'phone_number_quality':
      return 'phone_number_quality_update';
    case 'phone_number_name':
      return 'phone_number_name_update';
    case 'business_error':
      return 'messages.errors';
    case 'unknown_change':
      return event.field;
    case 'user_preference':
      return 'user_preferences';
  }
}

/** A stable id from an event's content: Meta re-delivers the same change, we keep it once. */
function contentKey(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/**
 * The WABA's channels for a display phone number. A WABA with one channel whose number we have not
 * recorded yet (it was set up by phone_number_id alone) is taken to be that number.
 */
function numbered(channels: Channel[], displayPhoneNumber: string | null): Channel[] {
  const matching = channels.filter((c) => sameNumber(c.displayPhoneNumber, displayPhoneNumber));
  if (matching.length > 0) return matching;
  return channels.length === 1 && channels[0]!.displayPhoneNumber === null ? channels : [];
}

function sameNumber(a: string | null, b: string | null): boolean {
  const digits = (s: string | null) => (s ?? '').replace(/\D/g, '');
  return digits(a) !== '' && digits(a) === digits(b);
}
