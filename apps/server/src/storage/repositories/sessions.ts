import { sql, type Selectable } from 'kysely';
import type { MessagingSession, SessionStatus } from '../../domain/model.ts';
import type { Db } from '../db.ts';
import { newId } from '../ids.ts';
import type { MessagingSessionsTable } from '../schema.ts';
import { isoOrNull, toDate, toDateOrNull } from './rows.ts';

export function sessionFromRow(row: Selectable<MessagingSessionsTable>): MessagingSession {
  return {
    id: row.id,
    channelId: row.channel_id,
    endUserId: row.end_user_id,
    caseId: row.case_id,
    status: row.status as SessionStatus,
    origin: row.origin,
    queueId: row.queue_id,
    ownerId: row.owner_id,
    startedAt: toDate(row.started_at),
    endedAt: toDateOrNull(row.ended_at),
    lastInboundAt: toDateOrNull(row.last_inbound_at),
    lastMessageAt: toDate(row.last_message_at),
    windowEndsAt: toDateOrNull(row.window_ends_at),
    reopenedCount: row.reopened_count,
  };
}

/** The end user's session that is not Ended, else the one that ended last. */
export async function findLatestSession(db: Db, endUserId: string): Promise<MessagingSession | null> {
  const open = await db
    .selectFrom('messaging_sessions')
    .selectAll()
    .where('end_user_id', '=', endUserId)
    // A literal, not a parameter: it matches the partial index messaging_sessions_one_open, and SQLite
    // re-prepares a statement whose parameter could select a partial index on every run (15 µs here).
    .where('status', '<>', sql.lit('Ended'))
    .executeTakeFirst();
  if (open) return sessionFromRow(open);
  const ended = await db
    .selectFrom('messaging_sessions')
    .selectAll()
    .where('end_user_id', '=', endUserId)
    .orderBy('ended_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return ended ? sessionFromRow(ended) : null;
}

export async function insertSession(
  db: Db,
  input: { channelId: string; endUserId: string; caseId: string | null; origin: string; startedAt: Date },
  now: Date,
): Promise<MessagingSession> {
  const at = now.toISOString();
  const row = await db
    .insertInto('messaging_sessions')
    .values({
      id: newId(),
      channel_id: input.channelId,
      end_user_id: input.endUserId,
      case_id: input.caseId,
      status: 'New',
      origin: input.origin,
      started_at: input.startedAt.toISOString(),
      last_message_at: input.startedAt.toISOString(),
      reopened_count: 0,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return sessionFromRow(row);
}

export async function reopenSession(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable('messaging_sessions')
    .set((eb) => ({
      status: 'Waiting',
      ended_at: null,
      reopened_count: eb('reopened_count', '+', 1),
      updated_at: now.toISOString(),
    }))
    .where('id', '=', id)
    .execute();
}

/** Moves the activity marks forward only: late deliveries of older messages never move them back. */
export async function recordSessionActivity(
  db: Db,
  session: MessagingSession,
  activity: { messageAt: Date; inbound: boolean; windowEndsAt: Date | null },
  now: Date,
): Promise<void> {
  const later = (a: Date | null, b: Date | null) => (a && b ? (a > b ? a : b) : (a ?? b));
  await db
    .updateTable('messaging_sessions')
    .set({
      last_message_at: later(session.lastMessageAt, activity.messageAt)!.toISOString(),
      last_inbound_at: isoOrNull(
        activity.inbound ? later(session.lastInboundAt, activity.messageAt) : session.lastInboundAt,
      ),
      window_ends_at: isoOrNull(later(session.windowEndsAt, activity.windowEndsAt)),
      updated_at: now.toISOString(),
    })
    .where('id', '=', session.id)
    .execute();
}

export async function findSession(db: Db, id: string): Promise<MessagingSession | null> {
  const row = await db.selectFrom('messaging_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? sessionFromRow(row) : null;
}
