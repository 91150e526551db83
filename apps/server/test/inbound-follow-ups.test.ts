import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedCrm } from '../src/crm/embedded/embedded-crm.ts';
import { systemClock } from '../src/domain/clock.ts';
import { EventBus } from '../src/events/event-bus.ts';
import { createInboundWorker } from '../src/jobs/inbound/inbound-worker.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { JobQueue } from '../src/storage/queue.ts';
import { upsertChannel } from '../src/storage/repositories/channels.ts';
import { INBOUND_QUEUE, WebhookInbox } from '../src/storage/webhook-inbox.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import { CHANNEL, messagesDelivery, textDelivery } from './support/server.ts';

/**
 * The inbound worker wakes the media workers after a chunk only if it queued a download: a woken
 * loop claims at once, and each claim is a write transaction, so waking them after every chunk of
 * text messages cost 8–20 % of the apply CPU (scratch drains of a backlog, interleaved pairs).
 */
describe.each(testDialects())('inbound follow-up wake-ups (%s)', (dialect) => {
  let t: TestDatabase;
  afterEach(async () => t?.destroy());

  it('wakes the follow-up workers after a chunk that queued a media download, not after text', async () => {
    t = await createTestDatabase(dialect);
    await upsertChannel(t.handle.db, CHANNEL, new Date());
    const queue = new JobQueue(t.handle, { workerId: 'follow-up-test' });
    const inbox = new WebhookInbox(t.handle, systemClock);
    let wakes = 0;
    const { handler: handle } = createInboundWorker({
      handle: t.handle,
      queue,
      crm: new EmbeddedCrm(),
      bus: new EventBus(),
      clock: systemClock,
      metrics: createMetrics(),
      logger: createLogger('silent'),
      afterCommit: () => (wakes += 1),
    });
    const applyOne = async (delivery: unknown) => {
      await inbox.append({ body: Buffer.from(JSON.stringify(delivery)), signature: 'sha256=test' });
      const jobs = await queue.claim([INBOUND_QUEUE], 10);
      expect(jobs).toHaveLength(1);
      await handle(jobs);
    };
    const mediaJobs = async () =>
      (await t.handle.db.selectFrom('jobs').select('id').where('queue', '=', 'media').execute()).length;

    await applyOne(textDelivery({ wamid: 'wamid.follow-up-text', from: '447700900321' }));
    expect(wakes).toBe(0);
    expect(await mediaJobs()).toBe(0);

    const from = '447700900322';
    await applyOne(
      messagesDelivery({
        contacts: [{ profile: { name: 'Test Customer' }, wa_id: from }],
        messages: [
          {
            from,
            id: 'wamid.follow-up-image',
            timestamp: String(Math.floor(Date.now() / 1000)),
            type: 'image',
            image: { id: '9101', mime_type: 'image/jpeg', sha256: 'abc' },
          },
        ],
      }),
    );
    expect(await mediaJobs()).toBe(1);
    expect(wakes).toBe(1);
  });
});
