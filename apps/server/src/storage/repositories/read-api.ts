import type {
  Conversation,
  ContactRecord,
  Entry,
  MediaInfo,
  StatusHistoryItem,
} from '@switchboard/contracts';
import { isWindowOpen } from '../../domain/session.ts';
import type { Db } from '../db.ts';
import type { EntryRow, MediaRow, StatusRow } from './entries.ts';
import { findMediaOfEntries } from './entries.ts';
import { parseJson } from './rows.ts';

/** Queries behind the read API, returning the shapes of @switchboard/contracts. */

export interface SessionCursor {
  startedAt: string;
  id: string;
}

export async function listConversations(
  db: Db,
  filter: { status?: string; channelId?: string; after: SessionCursor | null; limit: number },
  now: Date,
): Promise<Conversation[]> {
  let q = db
    .selectFrom('messaging_sessions as s')
    .innerJoin('end_users as u', 'u.id', 's.end_user_id')
    .selectAll('s')
    .select(['u.wa_id', 'u.profile_name']);
  if (filter.status) q = q.where('s.status', '=', filter.status);
  if (filter.channelId) q = q.where('s.channel_id', '=', filter.channelId);
  if (filter.after) {
    const { startedAt, id } = filter.after;
    q = q.where((eb) =>
      eb.or([
        eb('s.started_at', '<', startedAt),
        eb.and([eb('s.started_at', '=', startedAt), eb('s.id', '<', id)]),
      ]),
    );
  }
  const rows = await q.orderBy('s.started_at', 'desc').orderBy('s.id', 'desc').limit(filter.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    channelId: r.channel_id,
    endUserId: r.end_user_id,
    caseId: r.case_id,
    status: r.status as Conversation['status'],
    origin: r.origin,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    lastInboundAt: r.last_inbound_at,
    lastMessageAt: r.last_message_at,
    windowEndsAt: r.window_ends_at,
    windowOpen: isWindowOpen(r.window_ends_at ? new Date(r.window_ends_at) : null, now),
    endUser: { waId: r.wa_id, profileName: r.profile_name },
  }));
}

export async function sessionExists(db: Db, id: string): Promise<boolean> {
  return (
    (await db.selectFrom('messaging_sessions').select('id').where('id', '=', id).executeTakeFirst()) !==
    undefined
  );
}

export async function entriesWithMedia(db: Db, rows: EntryRow[]): Promise<Entry[]> {
  const media = new Map(
    (
      await findMediaOfEntries(
        db,
        rows.map((r) => r.id),
      )
    ).map((m) => [m.entry_id, m]),
  );
  return rows.map((r) => entryFromRow(r, media.get(r.id) ?? null));
}

export function entryFromRow(row: EntryRow, media: MediaRow | null): Entry {
  return {
    id: row.id,
    sessionId: row.session_id,
    direction: row.direction as Entry['direction'],
    actorType: row.actor_type as Entry['actorType'],
    type: row.type,
    text: row.text,
    content: JSON.parse(row.content) as unknown,
    wamid: row.wamid,
    contextWamid: row.context_wamid,
    status: row.status,
    error: parseJson(row.error),
    occurredAt: row.occurred_at,
    media: media ? mediaInfo(media) : null,
  };
}

function mediaInfo(m: MediaRow): MediaInfo {
  return {
    mediaId: m.media_id,
    status: m.status as MediaInfo['status'],
    mimeType: m.mime_type,
    fileSize: m.file_size,
    fileName: m.file_name,
    error: m.error,
  };
}

export function statusHistoryFromRows(rows: StatusRow[]): StatusHistoryItem[] {
  return rows.map((s) => ({
    status: s.status,
    occurredAt: s.occurred_at,
    errors: parseJson<unknown[]>(s.errors),
    pricing: parseJson(s.pricing),
  }));
}

export async function findPeopleForPhones(db: Db, e164Numbers: string[]): Promise<ContactRecord[]> {
  if (e164Numbers.length === 0) return [];
  const contacts = await db
    .selectFrom('contacts')
    .selectAll()
    .where('phone_e164', 'in', e164Numbers)
    .orderBy('created_at')
    .execute();
  const leads = await db
    .selectFrom('leads')
    .selectAll()
    .where('phone_e164', 'in', e164Numbers)
    .orderBy('created_at')
    .execute();
  return [
    ...contacts.map((c) => ({
      type: 'Contact' as const,
      id: c.id,
      firstName: c.first_name,
      lastName: c.last_name,
      phone: c.phone,
      phoneE164: c.phone_e164,
      email: c.email,
      company: null,
    })),
    ...leads.map((l) => ({
      type: 'Lead' as const,
      id: l.id,
      firstName: l.first_name,
      lastName: l.last_name,
      phone: l.phone,
      phoneE164: l.phone_e164,
      email: null,
      company: l.company,
    })),
  ];
}
