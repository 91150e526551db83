import { z } from 'zod';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { GraphClient } from '../channels/whatsapp/graph-client.ts';
import { GraphApiError } from '../channels/whatsapp/graph-error.ts';
import { checkMedia, type MediaKind } from '../domain/media-limits.ts';
import { findChannel, findChannelByPhoneNumberId } from '../storage/repositories/channels.ts';
import { findEntryByWamid } from '../storage/repositories/entries.ts';
import type { ApiRouteDeps } from './api-routes.ts';
import { ApiError, errorBody } from './errors.ts';

export interface MessageActionDeps extends ApiRouteDeps {
  graph: Pick<GraphClient, 'markRead' | 'uploadMedia'>;
  accessTokenFor: (channelId: string) => Promise<string | null>;
}

/** Meta's largest media (documents, 100 MB) plus multipart overhead. */
const MAX_UPLOAD_BYTES = 101 * 1024 * 1024;

/** Calls that go to Meta at once rather than through the outbox: mark as read, media upload. */
export async function messageActionRoutes(app: FastifyInstance, deps: MessageActionDeps): Promise<void> {
  const db = deps.handle.db;
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES },
    (_req, body, done) => done(null, body),
  );

  // Blue ticks for the customer, optionally with the typing indicator while an agent writes.
  app.post('/api/v1/messages/:wamid/read', async (request, reply) => {
    const { wamid } = request.params as { wamid: string };
    const body = z.object({ typingIndicator: z.boolean().default(false) }).safeParse(request.body ?? {});
    if (!body.success) throw new ApiError('invalid_request', 'typingIndicator must be a boolean');
    const entry = await findEntryByWamid(db, wamid);
    if (!entry || entry.direction !== 'inbound')
      throw new ApiError('not_found', `no inbound message ${wamid}`);
    const channel = await findChannel(db, entry.channel_id);
    const token = await deps.accessTokenFor(entry.channel_id);
    if (!channel || !token) throw new ApiError('invalid_request', 'the channel has no WhatsApp access token');
    try {
      await deps.graph.markRead(channel.phoneNumberId, token, wamid, body.data.typingIndicator);
    } catch (error) {
      return whatsappError(reply, error);
    }
    return { ok: true };
  });

  // multipart/form-data: `file` (the bytes, with its content type) and `type` (image, audio, video, document, sticker)
  app.post('/api/v1/channels/:phoneNumberId/media', async (request, reply) => {
    const { phoneNumberId } = request.params as { phoneNumberId: string };
    const channel = await findChannelByPhoneNumberId(db, phoneNumberId);
    if (!channel) throw new ApiError('not_found', `no channel ${phoneNumberId}`);
    if (!Buffer.isBuffer(request.body))
      throw new ApiError('invalid_request', 'send multipart/form-data with a file and its type');
    const form = await new Request('http://upload.invalid/', {
      method: 'POST',
      headers: { 'content-type': String(request.headers['content-type']) },
      body: request.body,
    })
      .formData()
      .catch(() => null);
    const file = form?.get('file');
    const kind = z.enum(['image', 'audio', 'video', 'document', 'sticker']).safeParse(form?.get('type'));
    if (!form || !(file instanceof Blob) || !kind.success) {
      throw new ApiError(
        'invalid_request',
        'multipart fields: file (the media) and type (image, audio, video, document or sticker)',
      );
    }
    const check = checkMedia(kind.data as MediaKind, file.type || 'application/octet-stream', file.size, {
      animated: form.get('animated') === 'true',
    });
    if (!check.ok)
      return reply
        .code(422)
        .send(errorBody('media_rejected', check.message, { field: 'file', reason: check.reason }));
    const token = await deps.accessTokenFor(channel.id);
    if (!token) throw new ApiError('invalid_request', 'the channel has no WhatsApp access token');
    try {
      const uploaded = await deps.graph.uploadMedia(channel.phoneNumberId, token, {
        bytes: Buffer.from(await file.arrayBuffer()),
        mimeType: file.type,
        fileName: file instanceof File ? file.name : 'upload',
      });
      return reply.code(201).send({ mediaId: uploaded.id });
    } catch (error) {
      return whatsappError(reply, error);
    }
  });
}

function whatsappError(reply: FastifyReply, error: unknown) {
  if (error instanceof GraphApiError) {
    const status =
      error.failureClass === 'credentials' ? 502 : error.httpStatus && error.httpStatus < 500 ? 422 : 502;
    return reply.code(status).send(
      errorBody('whatsapp_error', `WhatsApp refused: ${error.title ?? error.message}`, {
        code: error.code ?? null,
        details: error.details ?? null,
      }),
    );
  }
  throw error;
}
