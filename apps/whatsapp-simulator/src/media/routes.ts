import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SimulatorCore } from '../core.ts';
import { GraphError, unknownObject } from '../errors.ts';
import { graphParamError } from '../messages/params.ts';
import { baseMime, isAnimatedWebp, kindOfMime, MEDIA_RULES, STATIC_STICKER_MAX_BYTES } from './store.ts';

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}`;
}

async function readForm(request: FastifyRequest): Promise<FormData> {
  const contentType = request.headers['content-type'] ?? '';
  if (!contentType.startsWith('multipart/form-data') || !Buffer.isBuffer(request.body)) {
    throw graphParamError('The parameter file is required.');
  }
  try {
    return await new Response(request.body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw graphParamError('Invalid multipart body.');
  }
}

/**
 * Media: upload (multipart: file, type, messaging_product) → {id}; GET {media-id} → a short-lived
 * URL that still needs the bearer token; GET that URL → the bytes; DELETE {media-id}.
 * GET {phone-number-id} answers with the number's profile, as Graph does.
 */
export function registerMediaRoutes(app: FastifyInstance, core: SimulatorCore): void {
  app.post<{ Params: { version: string; phoneNumberId: string } }>(
    '/:version/:phoneNumberId/media',
    { config: { graph: 'POST media' } },
    async (request) => {
      const business = core.requireBusiness(request.params.phoneNumberId, 'post');
      const form = await readForm(request);
      const product = form.get('messaging_product');
      if (product === null) throw graphParamError('The parameter messaging_product is required.');
      if (String(product).toLowerCase() !== 'whatsapp') {
        throw graphParamError(
          `Param messaging_product must be one of {WHATSAPP} - got "${String(product)}".`,
        );
      }
      const file = form.get('file');
      if (!(file instanceof Blob)) throw graphParamError('The parameter file is required.');
      const declared = form.get('type');
      const mime = typeof declared === 'string' && declared ? declared : file.type;
      const kind = kindOfMime(mime);
      if (!kind) {
        const all = Object.values(MEDIA_RULES).flatMap((r) => r.mimeTypes);
        throw graphParamError(
          `Param file must be a file with one of the following types: ${all.join(', ')}. Received file of type '${baseMime(mime)}'.`,
        );
      }
      const data = Buffer.from(await file.arrayBuffer());
      const max =
        kind === 'sticker' && !isAnimatedWebp(data) ? STATIC_STICKER_MAX_BYTES : MEDIA_RULES[kind].maxBytes;
      if (data.length > max) {
        throw new GraphError(
          100,
          `File Too Large: ${kind} files may be at most ${max} bytes; this one is ${data.length}.`,
          {
            message: '(#100) Invalid parameter',
          },
        );
      }
      const name = file instanceof File ? file.name : null;
      const media = core.media.put(business.phoneNumberId, mime, data, name, core.clock.now());
      return { id: media.id };
    },
  );

  app.get<{ Params: { version: string; objectId: string }; Querystring: { phone_number_id?: string } }>(
    '/:version/:objectId',
    { config: { graph: 'GET object' } },
    async (request) => {
      const { objectId } = request.params;
      const business = core.business(objectId);
      if (business) {
        return {
          verified_name: business.verifiedName,
          code_verification_status: 'VERIFIED',
          display_phone_number: business.displayPhoneNumber,
          quality_rating: 'GREEN',
          platform_type: 'CLOUD_API',
          throughput: { level: business.throughputMps >= 1000 ? 'HIGH' : 'STANDARD' },
          id: business.phoneNumberId,
        };
      }
      const media = core.media.get(objectId);
      const wanted = request.query.phone_number_id;
      if (!media || (wanted !== undefined && wanted !== media.phoneNumberId))
        throw unknownObject(objectId, 'get');
      const token = core.media.issueUrlToken(media.id, core.clock.nowMs() + core.options.mediaUrlTtlMs);
      return {
        messaging_product: 'whatsapp',
        url: `${baseUrl(request)}/_media/${token}`,
        mime_type: media.mimeType,
        sha256: media.sha256Hex,
        file_size: media.data.length,
        id: media.id,
      };
    },
  );

  app.delete<{ Params: { version: string; objectId: string } }>(
    '/:version/:objectId',
    { config: { graph: 'DELETE media' } },
    async (request) => {
      if (!core.media.delete(request.params.objectId)) throw unknownObject(request.params.objectId, 'delete');
      return { success: true };
    },
  );

  // the download URL: like Meta's, it expires and still wants the access token
  app.get<{ Params: { token: string } }>(
    '/_media/:token',
    { config: { graph: 'GET media download', public: true } },
    async (request, reply) => {
      const header = request.headers.authorization;
      core.authorize(header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined);
      const media = core.media.resolveUrlToken(request.params.token, core.clock.nowMs());
      if (media === undefined || media === 'expired') {
        const why =
          media === 'expired' ? 'This media URL has expired; request a new one.' : 'Unknown media URL.';
        throw new GraphError(100, why, { message: '(#100) Invalid parameter', status: 404 });
      }
      return reply
        .header('content-type', media.mimeType)
        .header('content-length', media.data.length)
        .header(
          'content-disposition',
          `attachment; filename="${(media.fileName ?? `media-${media.id}`).replace(/[^\w.-]/g, '_')}"`,
        )
        .send(media.data);
    },
  );
}
