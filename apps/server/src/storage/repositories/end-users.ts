import type { Selectable } from 'kysely';
import type { CrmRef, LinkStatus, MessagingEndUser } from '../../domain/model.ts';
import type { CustomerProfile } from '../../domain/inbound-event.ts';
import type { Db } from '../db.ts';
import { newId } from '../ids.ts';
import type { EndUsersTable } from '../schema.ts';
import { jsonOrNull, parseJson, toDate, toDateOrNull } from './rows.ts';

export function endUserFromRow(row: Selectable<EndUsersTable>): MessagingEndUser {
  return {
    id: row.id,
    channelId: row.channel_id,
    waId: row.wa_id,
    userId: row.user_id,
    parentUserId: row.parent_user_id,
    profileName: row.profile_name,
    contactId: row.contact_id,
    leadId: row.lead_id,
    linkStatus: row.link_status as LinkStatus,
    linkCandidates: parseJson<CrmRef[]>(row.link_candidates) ?? [],
    lastInboundAt: toDateOrNull(row.last_inbound_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * Finds or creates the end user for (channel, wa_id) and refreshes its profile. The UPDATE also
 * takes the row lock on PostgreSQL, so concurrent deliveries for one customer apply one at a time
 * (SQLite transactions are serialized anyway). `created` tells the caller to link the CRM record.
 */
export async function upsertEndUserForInbound(
  db: Db,
  channelId: string,
  customer: CustomerProfile,
  inboundAt: Date | null,
  now: Date,
): Promise<{ endUser: MessagingEndUser; created: boolean }> {
  const at = now.toISOString();
  const inserted = await db
    .insertInto('end_users')
    .values({
      id: newId(),
      channel_id: channelId,
      wa_id: customer.waId,
      user_id: customer.userId,
      parent_user_id: customer.parentUserId,
      profile_name: customer.profileName,
      link_status: 'unlinked',
      last_inbound_at: inboundAt?.toISOString() ?? null,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.columns(['channel_id', 'wa_id']).doNothing())
    .returning('id')
    .executeTakeFirst();

  const current = await db
    .selectFrom('end_users')
    .selectAll()
    .where('channel_id', '=', channelId)
    .where('wa_id', '=', customer.waId)
    .executeTakeFirstOrThrow();
  const lastInbound =
    inboundAt && (!current.last_inbound_at || inboundAt.toISOString() > current.last_inbound_at)
      ? inboundAt.toISOString()
      : current.last_inbound_at;
  const row = await db
    .updateTable('end_users')
    .set({
      profile_name: customer.profileName ?? current.profile_name,
      user_id: customer.userId ?? current.user_id,
      parent_user_id: customer.parentUserId ?? current.parent_user_id,
      last_inbound_at: lastInbound,
      updated_at: at,
    })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { endUser: endUserFromRow(row), created: inserted !== undefined };
}

export async function setEndUserLink(
  db: Db,
  endUserId: string,
  link: { status: LinkStatus; contactId: string | null; leadId: string | null; candidates: CrmRef[] },
  now: Date,
): Promise<void> {
  await db
    .updateTable('end_users')
    .set({
      link_status: link.status,
      contact_id: link.contactId,
      lead_id: link.leadId,
      link_candidates: link.candidates.length > 0 ? jsonOrNull(link.candidates) : null,
      updated_at: now.toISOString(),
    })
    .where('id', '=', endUserId)
    .execute();
}

export async function findEndUsersByWaId(db: Db, waId: string): Promise<MessagingEndUser[]> {
  const rows = await db
    .selectFrom('end_users')
    .selectAll()
    .where('wa_id', '=', waId)
    .orderBy('created_at')
    .execute();
  return rows.map(endUserFromRow);
}

export async function findEndUserByChannelAndWaId(db: Db, channelId: string, waId: string) {
  const row = await db
    .selectFrom('end_users')
    .selectAll()
    .where('channel_id', '=', channelId)
    .where('wa_id', '=', waId)
    .executeTakeFirst();
  return row ? endUserFromRow(row) : null;
}
