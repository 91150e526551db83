import type { GraphClient } from '../channels/whatsapp/graph-client.ts';
import type { Clock } from '../domain/clock.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Logger } from '../observability/logger.ts';
import type { DatabaseHandle } from '../storage/db.ts';
import { enqueue, type ClaimedJob, type JobQueue } from '../storage/queue.ts';
import { syncTemplates, TEMPLATE_SYNC_INTERVAL_MS, TEMPLATE_SYNC_QUEUE } from '../services/templates.ts';
import { errorMessage } from './error-message.ts';

export interface TemplateSyncDeps {
  handle: DatabaseHandle;
  queue: JobQueue;
  graph: Pick<GraphClient, 'listTemplates'>;
  clock: Clock;
  bus: EventBus;
  logger: Logger;
  tokenForWaba: (wabaId: string) => Promise<string | null>;
}

/** Payload `{ wabaId, periodic? }`: a periodic job schedules its own next run. */
export function createTemplateSyncHandler(deps: TemplateSyncDeps) {
  return async (jobs: ClaimedJob[]): Promise<void> => {
    for (const job of jobs) {
      const { wabaId, periodic } = job.payload as { wabaId: string; periodic?: boolean };
      try {
        const token = await deps.tokenForWaba(wabaId);
        if (!token) {
          // Nothing to sync with; the periodic chain stops and starts again with the next start-up.
          deps.logger.debug({ wabaId }, 'no access token: template sync skipped');
          await deps.handle.db.transaction().execute((trx) => deps.queue.complete(trx, [job.id]));
          continue;
        }
        const result = await syncTemplates(deps.handle.db, deps.graph, wabaId, token, deps.clock.now());
        await deps.handle.db.transaction().execute(async (trx) => {
          if (periodic) {
            const next = new Date(deps.clock.now().getTime() + TEMPLATE_SYNC_INTERVAL_MS);
            await enqueue(
              trx,
              [{ queue: TEMPLATE_SYNC_QUEUE, payload: { wabaId, periodic: true }, runAt: next }],
              deps.clock.now(),
            );
          }
          await deps.queue.complete(trx, [job.id]);
        });
        deps.bus.publish([
          { type: 'template.updated', wabaId, name: null, status: `synced ${result.synced}` },
        ]);
      } catch (error) {
        const message = errorMessage(error);
        deps.logger.warn({ wabaId, err: message }, 'template sync failed');
        await deps.queue.fail(job.id, message);
      }
    }
  };
}

/** At start-up: one sync now per WABA, and the periodic chain if none is scheduled yet. */
export async function scheduleTemplateSyncs(
  handle: DatabaseHandle,
  wabaIds: string[],
  now: Date,
): Promise<void> {
  if (wabaIds.length === 0) return;
  await handle.db.transaction().execute(async (trx) => {
    const scheduled = await trx
      .selectFrom('jobs')
      .select('payload')
      .where('queue', '=', TEMPLATE_SYNC_QUEUE)
      .where('status', 'in', ['queued', 'running'])
      .execute();
    const periodic = new Set(
      scheduled
        .map((j) => JSON.parse(j.payload) as { wabaId: string; periodic?: boolean })
        .filter((p) => p.periodic)
        .map((p) => p.wabaId),
    );
    await enqueue(
      trx,
      wabaIds.map((wabaId) => ({
        queue: TEMPLATE_SYNC_QUEUE,
        payload: { wabaId, periodic: !periodic.has(wabaId) },
      })),
      now,
    );
  });
}
