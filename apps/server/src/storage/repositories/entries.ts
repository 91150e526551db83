import type { Selectable } from 'kysely';
import { isPostgres, type Db } from '../db.ts';
import { newId } from '../ids.ts';
import type { ConversationEntriesTable, MediaTable, MessageStatusesTable } from '../schema.ts';
import { jsonOrNull } from './rows.ts';

export type EntryRow = Selectable<ConversationEntriesTable>;
export type StatusRow = Selectable<MessageStatusesTable>;
export type MediaRow = Selectable<MediaTable>;

export interface NewEntry {
  sessionId: string;
  channelId: string;
  endUserId: string;
  direction: 'inbound' | 'outbound';
  actorType: 'EndUser' | 'Agent' | 'Bot' | 'System';
  actorId?: string | null;
  type: string;
  text: string | null;
  content: unknown;
  wamid: string | null;
  contextWamid: string | null;
  status: string;
  occurredAt: Date;
}

/** Inserts an entry; returns null when an entry with that wamid exists already (a re-delivery). */
export async function insertEntry(db: Db, entry: NewEntry, now: Date): Promise<EntryRow | null> {
  const row = await db
    .insertInto('conversation_entries')
    .values({
      id: newId(),
      session_id: entry.sessionId,
      channel_id: entry.channelId,
      end_user_id: entry.endUserId,
      direction: entry.direction,
      actor_type: entry.actorType,
      actor_id: entry.actorId ?? null,
      type: entry.type,
      text: entry.text,
      content: JSON.stringify(entry.content),
      wamid: entry.wamid,
      context_wamid: entry.contextWamid,
      status: entry.status,
      error: null,
      occurred_at: entry.occurredAt.toISOString(),
      created_at: now.toISOString(),
    })
    .onConflict((oc) => oc.column('wamid').doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

export async function findEntryByWamid(db: Db, wamid: string): Promise<EntryRow | null> {
  return (
    (await db.selectFrom('conversation_entries').selectAll().where('wamid', '=', wamid).executeTakeFirst()) ??
    null
  );
}

/**
 * The entry with this wamid, locked for the rest of the transaction. PostgreSQL: SELECT … FOR UPDATE,
 * which returns the latest committed version once the lock is free. SQLite runs one write
 * transaction at a time (BEGIN IMMEDIATE), so a plain read is already that.
 */
export async function lockEntryByWamid(db: Db, wamid: string): Promise<EntryRow | null> {
  const query = db.selectFrom('conversation_entries').selectAll().where('wamid', '=', wamid);
  return (await (isPostgres(db) ? query.forUpdate() : query).executeTakeFirst()) ?? null;
}

export async function findEntry(db: Db, id: string): Promise<EntryRow | null> {
  return (
    (await db.selectFrom('conversation_entries').selectAll().where('id', '=', id).executeTakeFirst()) ?? null
  );
}

export async function updateEntry(
  db: Db,
  id: string,
  fields: Partial<Pick<ConversationEntriesTable, 'status' | 'error' | 'text' | 'content'>>,
): Promise<void> {
  await db.updateTable('conversation_entries').set(fields).where('id', '=', id).execute();
}

export interface NewStatus {
  wamid: string;
  status: string;
  recipientId: string | null;
  occurredAt: Date;
  errors: unknown[] | null;
  pricing: unknown;
  conversation: unknown;
  bizOpaqueCallbackData: string | null;
}

/** Records one status of one message; false when that (wamid, status) was recorded before. */
export async function insertStatus(db: Db, s: NewStatus, now: Date): Promise<boolean> {
  const row = await db
    .insertInto('message_statuses')
    .values({
      id: newId(),
      wamid: s.wamid,
      status: s.status,
      recipient_id: s.recipientId,
      occurred_at: s.occurredAt.toISOString(),
      errors: s.errors && s.errors.length > 0 ? JSON.stringify(s.errors) : null,
      pricing: jsonOrNull(s.pricing),
      conversation: jsonOrNull(s.conversation),
      biz_opaque_callback_data: s.bizOpaqueCallbackData,
      created_at: now.toISOString(),
    })
    .onConflict((oc) => oc.columns(['wamid', 'status']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function listStatuses(db: Db, wamid: string): Promise<StatusRow[]> {
  return db
    .selectFrom('message_statuses')
    .selectAll()
    .where('wamid', '=', wamid)
    .orderBy('occurred_at')
    .execute();
}

export async function listEntriesOfSession(
  db: Db,
  sessionId: string,
  page: { after: { occurredAt: string; id: string } | null; limit: number },
): Promise<EntryRow[]> {
  let q = db.selectFrom('conversation_entries').selectAll().where('session_id', '=', sessionId);
  if (page.after) {
    const { occurredAt, id } = page.after;
    q = q.where((eb) =>
      eb.or([
        eb('occurred_at', '>', occurredAt),
        eb.and([eb('occurred_at', '=', occurredAt), eb('id', '>', id)]),
      ]),
    );
  }
  return q.orderBy('occurred_at').orderBy('id').limit(page.limit).execute();
}

export async function insertMedia(
  db: Db,
  m: {
    entryId: string;
    channelId: string;
    mediaId: string;
    kind: string;
    mimeType: string | null;
    sha256: string | null;
    fileName: string | null;
  },
  now: Date,
): Promise<string> {
  const id = newId();
  const at = now.toISOString();
  await db
    .insertInto('media')
    .values({
      id,
      entry_id: m.entryId,
      channel_id: m.channelId,
      media_id: m.mediaId,
      kind: m.kind,
      mime_type: m.mimeType,
      sha256: m.sha256,
      file_size: null,
      file_name: m.fileName,
      status: 'pending',
      blob_key: null,
      error: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return id;
}

export async function findMediaOfEntries(db: Db, entryIds: string[]): Promise<MediaRow[]> {
  if (entryIds.length === 0) return [];
  return db.selectFrom('media').selectAll().where('entry_id', 'in', entryIds).execute();
}

export async function findMedia(db: Db, id: string): Promise<MediaRow | null> {
  return (await db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function updateMedia(
  db: Db,
  id: string,
  fields: Partial<Pick<MediaTable, 'status' | 'blob_key' | 'error' | 'file_size' | 'mime_type' | 'sha256'>>,
  now: Date,
): Promise<void> {
  await db
    .updateTable('media')
    .set({ ...fields, updated_at: now.toISOString() })
    .where('id', '=', id)
    .execute();
}
