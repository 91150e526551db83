import type { Db } from '../db.ts';
import { enqueue } from '../queue.ts';
import { inboundJob } from '../webhook-inbox.ts';

/**
 * Deliveries for a number that had no channel are kept as 'unrouted'. When that channel appears,
 * they are queued again; applying is idempotent, so whatever was applied before stays applied once.
 */
export async function requeueUnroutedDeliveries(db: Db, now: Date): Promise<number> {
  const rows = await db.selectFrom('webhook_events').select('id').where('status', '=', 'unrouted').execute();
  if (rows.length === 0) return 0;
  const ids = rows.map((r) => r.id);
  await db
    .updateTable('webhook_events')
    .set({ status: 'received', note: null })
    .where('id', 'in', ids)
    .execute();
  const jobs = [];
  for (let i = 0; i < ids.length; i += 100) jobs.push(inboundJob(ids.slice(i, i + 100)));
  await enqueue(db, jobs, now);
  return ids.length;
}

export async function listWebhookEvents(db: Db, status: string, limit: number) {
  return db
    .selectFrom('webhook_events')
    .select(['id', 'received_at', 'status', 'applied_at', 'note'])
    .where('status', '=', status)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Uses the (status, id) index: cheap enough for every metrics scrape. */
export async function countWebhookEvents(db: Db, status: string): Promise<number> {
  const row = await db
    .selectFrom('webhook_events')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', status)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
