import type { Selectable } from 'kysely';
import type { Channel, ChannelStatus, UnmatchedCustomerRule } from '../../domain/model.ts';
import type { Db } from '../db.ts';
import { newId } from '../ids.ts';
import type { ChannelsTable } from '../schema.ts';
import { toDate } from './rows.ts';

export interface NewChannel {
  phoneNumberId: string;
  name?: string;
  wabaId?: string | null;
  displayPhoneNumber?: string | null;
  verifiedName?: string | null;
  throughputMps?: number;
  unmatchedCustomerRule?: UnmatchedCustomerRule;
  reopenWindowMinutes?: number;
  createCase?: boolean;
  messagingLimit?: number | null;
  sharedWithBusinessApp?: boolean;
}

export function channelFromRow(row: Selectable<ChannelsTable>): Channel {
  return {
    id: row.id,
    phoneNumberId: row.phone_number_id,
    wabaId: row.waba_id,
    displayPhoneNumber: row.display_phone_number,
    verifiedName: row.verified_name,
    name: row.name,
    qualityRating: row.quality_rating,
    messagingLimitTier: row.messaging_limit_tier,
    throughputMps: row.throughput_mps,
    unmatchedCustomerRule: row.unmatched_customer_rule as UnmatchedCustomerRule,
    reopenWindowMinutes: row.reopen_window_minutes,
    createCase: row.create_case === 1,
    status: row.status as ChannelStatus,
    accountStatus: row.account_status,
    messagingLimit: row.messaging_limit,
    sharedWithBusinessApp: row.shared_with_business_app === 1,
    hasOwnAccessToken: row.access_token !== null,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** Creates the channel, or updates the given settings of the one with that phone_number_id. */
export async function upsertChannel(db: Db, input: NewChannel, now: Date): Promise<Channel> {
  const at = now.toISOString();
  const settings = {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.wabaId !== undefined && { waba_id: input.wabaId }),
    ...(input.displayPhoneNumber !== undefined && { display_phone_number: input.displayPhoneNumber }),
    ...(input.verifiedName !== undefined && { verified_name: input.verifiedName }),
    ...(input.throughputMps !== undefined && { throughput_mps: input.throughputMps }),
    ...(input.unmatchedCustomerRule !== undefined && {
      unmatched_customer_rule: input.unmatchedCustomerRule,
    }),
    ...(input.reopenWindowMinutes !== undefined && { reopen_window_minutes: input.reopenWindowMinutes }),
    ...(input.createCase !== undefined && { create_case: input.createCase ? 1 : 0 }),
    ...(input.messagingLimit !== undefined && { messaging_limit: input.messagingLimit }),
    ...(input.sharedWithBusinessApp !== undefined && {
      shared_with_business_app: input.sharedWithBusinessApp ? 1 : 0,
    }),
  };
  await db
    .insertInto('channels')
    .values({
      id: newId(),
      phone_number_id: input.phoneNumberId,
      name: input.name ?? `WhatsApp ${input.displayPhoneNumber ?? input.phoneNumberId}`,
      waba_id: input.wabaId ?? null,
      display_phone_number: input.displayPhoneNumber ?? null,
      verified_name: input.verifiedName ?? null,
      throughput_mps: input.throughputMps ?? 80,
      unmatched_customer_rule: input.unmatchedCustomerRule ?? 'lead',
      reopen_window_minutes: input.reopenWindowMinutes ?? 60,
      create_case: input.createCase === false ? 0 : 1,
      // Meta starts a new number at 250 business-initiated recipients a day.
      messaging_limit: input.messagingLimit === undefined ? 250 : input.messagingLimit,
      shared_with_business_app: input.sharedWithBusinessApp ? 1 : 0,
      status: 'active',
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('phone_number_id').doUpdateSet({ ...settings, updated_at: at }))
    .execute();
  const channel = await findChannelByPhoneNumberId(db, input.phoneNumberId);
  if (!channel) throw new Error(`channel ${input.phoneNumberId} vanished after upsert`);
  return channel;
}

export async function findChannelByPhoneNumberId(db: Db, phoneNumberId: string): Promise<Channel | null> {
  const row = await db
    .selectFrom('channels')
    .selectAll()
    .where('phone_number_id', '=', phoneNumberId)
    .executeTakeFirst();
  return row ? channelFromRow(row) : null;
}

export async function findChannelsByWabaId(db: Db, wabaId: string): Promise<Channel[]> {
  const rows = await db.selectFrom('channels').selectAll().where('waba_id', '=', wabaId).execute();
  return rows.map(channelFromRow);
}

export async function findChannel(db: Db, id: string): Promise<Channel | null> {
  const row = await db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? channelFromRow(row) : null;
}

export async function listChannels(db: Db): Promise<Channel[]> {
  const rows = await db.selectFrom('channels').selectAll().orderBy('created_at').execute();
  return rows.map(channelFromRow);
}

export async function updateChannelFields(
  db: Db,
  id: string,
  fields: Partial<
    Pick<
      ChannelsTable,
      'quality_rating' | 'messaging_limit_tier' | 'verified_name' | 'account_status' | 'display_phone_number'
    >
  >,
  now: Date,
): Promise<void> {
  await db
    .updateTable('channels')
    .set({ ...fields, updated_at: now.toISOString() })
    .where('id', '=', id)
    .execute();
}

/** The Graph token set for this channel through the API, if any (callers fall back to the configured one). */
export async function findChannelAccessToken(db: Db, channelId: string): Promise<string | null> {
  const row = await db
    .selectFrom('channels')
    .select('access_token')
    .where('id', '=', channelId)
    .executeTakeFirst();
  return row?.access_token ?? null;
}

export async function setChannelCredentials(
  db: Db,
  channelId: string,
  accessToken: string | null,
  now: Date,
): Promise<void> {
  await db
    .updateTable('channels')
    .set({ access_token: accessToken, status: 'active', updated_at: now.toISOString() })
    .where('id', '=', channelId)
    .execute();
}

export async function setChannelStatus(
  db: Db,
  channelId: string,
  status: ChannelStatus,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('channels')
    .set({ status, updated_at: now.toISOString() })
    .where('id', '=', channelId)
    .where('status', '<>', status)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
