import { GraphApiError } from '../channels/whatsapp/graph-error.ts';
import type { GraphMediaClient } from '../channels/whatsapp/media-client.ts';
import type { Clock } from '../domain/clock.ts';
import { mediaLimitFor, type MediaKind } from '../domain/media-limits.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Logger } from '../observability/logger.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { BlobTooLargeError } from '../storage/blob-store.ts';
import type { DatabaseHandle } from '../storage/db.ts';
import type { ClaimedJob, JobQueue } from '../storage/queue.ts';
import { findMedia, updateMedia } from '../storage/repositories/entries.ts';
import { errorMessage } from './error-message.ts';

export interface MediaWorkerDeps {
  handle: DatabaseHandle;
  queue: JobQueue;
  client: GraphMediaClient;
  blobs: BlobStore;
  clock: Clock;
  bus: EventBus;
  logger: Logger;
  /** the channel's Graph API token; null when none is configured (media stays pending → failed) */
  accessTokenFor: (channelId: string) => Promise<string | null>;
}

/**
 * Downloads inbound media into the blob store. Meta's media URLs expire: an expired or refused
 * download ends as 'expired' or 'failed' (shown to the agent), never retried forever; outages are
 * retried with backoff by the queue until its attempts run out.
 */
export function createMediaHandler(deps: MediaWorkerDeps) {
  return async (jobs: ClaimedJob[]): Promise<void> => {
    for (const job of jobs) await downloadOne(deps, job);
  };
}

async function downloadOne(deps: MediaWorkerDeps, job: ClaimedJob): Promise<void> {
  const { mediaRowId } = job.payload as { mediaRowId: string };
  const media = await findMedia(deps.handle.db, mediaRowId);
  if (!media || media.status !== 'pending') {
    await deps.handle.db.transaction().execute((trx) => deps.queue.complete(trx, [job.id]));
    return;
  }
  const finish = async (fields: Parameters<typeof updateMedia>[2]) => {
    await deps.handle.db.transaction().execute(async (trx) => {
      await updateMedia(trx, media.id, fields, deps.clock.now());
      await deps.queue.complete(trx, [job.id]);
    });
    deps.bus.publish([
      { type: 'media.updated', entryId: media.entry_id, status: fields.status ?? media.status },
    ]);
  };
  const token = await deps.accessTokenFor(media.channel_id);
  if (!token)
    return finish({ status: 'failed', error: 'no WhatsApp access token configured for this channel' });

  const kind = media.kind as MediaKind;
  // Meta already accepted this file from the customer; our cap only protects our disk, so take the
  // largest limit of the type (animated stickers) and no MIME allow-list.
  const maxBytes = mediaLimitFor(kind, { animated: true });
  const key = `media/${media.channel_id}/${media.id}`;
  try {
    const stored = await deps.client.download(media.media_id, token, async (body, meta) => {
      if (meta.fileSize !== null && meta.fileSize > maxBytes) throw new BlobTooLargeError(maxBytes);
      const blob = await deps.blobs.put(key, body, { maxBytes });
      return { ...blob, mimeType: meta.mimeType };
    });
    await finish({
      status: 'stored',
      blob_key: stored.key,
      file_size: stored.size,
      sha256: stored.sha256,
      mime_type: stored.mimeType ?? media.mime_type,
      error: null,
    });
  } catch (error) {
    if (error instanceof BlobTooLargeError) {
      return finish({
        status: 'too_large',
        error: `larger than WhatsApp's ${maxBytes}-byte limit for ${kind}`,
      });
    }
    if (error instanceof GraphApiError && error.failureClass !== 'retry') {
      const status = error.failureClass === 'expired' ? 'expired' : 'failed';
      return finish({ status, error: error.message });
    }
    const message = errorMessage(error);
    const outcome = await deps.queue.fail(job.id, message);
    if (outcome === 'dead') {
      await updateMedia(
        deps.handle.db,
        media.id,
        { status: 'failed', error: `gave up after ${job.attempts} attempts: ${message}` },
        deps.clock.now(),
      );
      deps.bus.publish([{ type: 'media.updated', entryId: media.entry_id, status: 'failed' }]);
    }
    deps.logger.warn(
      { mediaId: media.id, attempt: job.attempts, outcome, err: message },
      'media download failed',
    );
  }
}
