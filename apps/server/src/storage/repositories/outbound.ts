import type { Selectable } from 'kysely';
import type { ConsentState, TemplateRecord } from '../../domain/outbound.ts';
import type { Db } from '../db.ts';
import type { OutboundMessagesTable, TemplatesTable } from '../schema.ts';

export type OutboundRow = Selectable<OutboundMessagesTable>;
export type OutboundStatus = 'queued' | 'sending' | 'accepted' | 'failed' | 'dead' | 'discarded';

export async function insertOutbound(
  db: Db,
  row: Omit<
    OutboundMessagesTable,
    'attempts' | 'attempt_started_at' | 'last_error' | 'wamid' | 'accepted_at'
  >,
): Promise<void> {
  await db
    .insertInto('outbound_messages')
    .values({
      ...row,
      attempts: 0,
      attempt_started_at: null,
      last_error: null,
      wamid: null,
      accepted_at: null,
    })
    .execute();
}

export async function findOutbound(db: Db, id: string): Promise<OutboundRow | null> {
  return (
    (await db.selectFrom('outbound_messages').selectAll().where('id', '=', id).executeTakeFirst()) ?? null
  );
}

export async function findOutboundByIdempotencyKey(db: Db, key: string): Promise<OutboundRow | null> {
  return (
    (await db
      .selectFrom('outbound_messages')
      .selectAll()
      .where('idempotency_key', '=', key)
      .executeTakeFirst()) ?? null
  );
}

export async function updateOutbound(
  db: Db,
  id: string,
  fields: Partial<
    Pick<
      OutboundMessagesTable,
      'status' | 'wamid' | 'attempts' | 'attempt_started_at' | 'last_error' | 'accepted_at'
    >
  >,
  now: Date,
): Promise<void> {
  await db
    .updateTable('outbound_messages')
    .set({ ...fields, updated_at: now.toISOString() })
    .where('id', '=', id)
    .execute();
}

/**
 * Recipients of business-initiated sends in the rolling 24 h before `now` (counted up to `limit`:
 * the policy only asks whether the limit is reached), and whether `waId` is one. Every send asks, so
 * an unlimited channel costs no query, and a limit of 100,000 never counts more than that.
 */
export async function businessInitiatedRecipients(
  db: Db,
  channelId: string,
  waId: string,
  now: Date,
  limit: number | null,
): Promise<{ count: number; includesRecipient: boolean }> {
  if (limit === null) return { count: 0, includesRecipient: false };
  const since = new Date(now.getTime() - 24 * 3600 * 1000).toISOString();
  const base = db
    .selectFrom('outbound_messages')
    .where('channel_id', '=', channelId)
    .where('business_initiated', '=', 1)
    .where('created_at', '>', since)
    .where('status', 'not in', ['failed', 'dead', 'discarded']);
  const recipients = base.select('to_wa_id').distinct().limit(limit);
  const count = await db
    .selectFrom(recipients.as('r'))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  const mine = await base.select('id').where('to_wa_id', '=', waId).limit(1).executeTakeFirst();
  return { count: Number(count.n), includesRecipient: mine !== undefined };
}

/** The customer's latest consent per scope on this channel. */
export async function consentOf(db: Db, channelId: string, waId: string): Promise<ConsentState> {
  const rows = await db
    .selectFrom('consent_records')
    .select(['scope', 'status', 'occurred_at'])
    .where('channel_id', '=', channelId)
    .where('wa_id', '=', waId)
    .orderBy('occurred_at', 'desc')
    .execute();
  const latest = (scope: string) => {
    const row = rows.find((r) => r.scope === scope);
    return row ? (row.status === 'opt_out' ? 'opted_out' : 'opted_in') : 'unknown';
  };
  return {
    marketing:
      latest('marketing_messages') === 'unknown' ? latest('marketing') : latest('marketing_messages'),
    all: latest('all'),
  };
}

export function templateFromRow(row: Selectable<TemplatesTable>): TemplateRecord {
  return {
    name: row.name,
    language: row.language,
    category: row.category,
    status: row.status,
    parameterFormat: row.parameter_format === 'named' ? 'named' : 'positional',
    components: row.components ? (JSON.parse(row.components) as unknown[]) : [],
  };
}

export async function templatesNamed(db: Db, wabaId: string, name: string): Promise<TemplateRecord[]> {
  const rows = await db
    .selectFrom('templates')
    .selectAll()
    .where('waba_id', '=', wabaId)
    .where('name', '=', name)
    .execute();
  return rows.map(templateFromRow);
}

export async function listDeadOutbound(db: Db, limit: number): Promise<OutboundRow[]> {
  return db
    .selectFrom('outbound_messages')
    .selectAll()
    .where('status', '=', 'dead')
    .orderBy('updated_at', 'desc')
    .limit(limit)
    .execute();
}

export async function findOutboundByCallback(db: Db, outboundId: string): Promise<{ wamid: string } | null> {
  const row = await db
    .selectFrom('message_statuses')
    .select('wamid')
    .where('biz_opaque_callback_data', '=', outboundId)
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}
