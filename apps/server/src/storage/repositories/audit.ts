import type { Db } from '../db.ts';
import { newId } from '../ids.ts';

export async function recordAudit(
  db: Db,
  e: { actor: string; action: string; subjectType: string; subjectId: string | null; detail?: unknown },
  now: Date,
): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: newId(),
      actor: e.actor,
      action: e.action,
      subject_type: e.subjectType,
      subject_id: e.subjectId,
      detail: e.detail === undefined ? null : JSON.stringify(e.detail),
      created_at: now.toISOString(),
    })
    .execute();
}
