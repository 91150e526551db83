import { sql, type Selectable } from 'kysely';
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
 * Finds or creates the end user for (channel, wa_id) and refreshes its profile. A known customer
 * (nearly every delivery) costs one UPDATE, which computes the new values in SQL and so needs no read
 * first; it also takes the row lock on PostgreSQL, so concurrent deliveries for one customer apply
 * one at a time (SQLite transactions are serialized anyway). A new one costs that UPDATE and an
 * INSERT; when a concurrent delivery inserted first, the UPDATE runs again. `created` tells the
 * caller to link the CRM record.
 */
export async function upsertEndUserForInbound(
  db: Db,
  channelId: string,
  customer: CustomerProfile,
  inboundAt: Date | null,
  now: Date,
): Promise<{ endUser: MessagingEndUser; created: boolean }> {
  const at = now.toISOString();
  const inboundIso = inboundAt?.toISOString() ?? null;
  const refresh = () =>
    db
      .updateTable('end_users')
      .set({
        // a delivery without a profile (or ids) keeps the ones we have
        ...(customer.profileName !== null && { profile_name: customer.profileName }),
        ...(customer.userId !== null && { user_id: customer.userId }),
        ...(customer.parentUserId !== null && { parent_user_id: customer.parentUserId }),
        // deliveries arrive out of order: the latest inbound time wins
        ...(inboundIso !== null && {
          last_inbound_at: sql<string>`case when last_inbound_at is null or last_inbound_at < ${inboundIso} then ${inboundIso} else last_inbound_at end`,
        }),
        updated_at: at,
      })
      .where('channel_id', '=', channelId)
      .where('wa_id', '=', customer.waId)
      .returningAll()
      .executeTakeFirst();

  const known = await refresh();
  if (known) return { endUser: endUserFromRow(known), created: false };
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
      last_inbound_at: inboundIso,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.columns(['channel_id', 'wa_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { endUser: endUserFromRow(inserted), created: true };
  const raced = await refresh(); // another delivery created it between our UPDATE and INSERT
  if (!raced) throw new Error(`end user ${customer.waId} on channel ${channelId} vanished during upsert`);
  return { endUser: endUserFromRow(raced), created: false };
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
