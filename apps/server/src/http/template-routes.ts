import { z } from 'zod';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { GraphClient } from '../channels/whatsapp/graph-client.ts';
import { GraphApiError } from '../channels/whatsapp/graph-error.ts';
import { checkTemplateSend, renderTemplatePreview } from '../domain/template-rules.ts';
import { templatesNamed } from '../storage/repositories/outbound.ts';
import { recordAudit } from '../storage/repositories/audit.ts';
import { listChannels } from '../storage/repositories/channels.ts';
import { listTemplates, upsertTemplate } from '../services/templates.ts';
import type { ApiRouteDeps } from './api-routes.ts';
import { parseInput } from './validation.ts';
import { ApiError, errorBody, type ErrorCode } from './errors.ts';
import { contentSchema } from './send-schema.ts';
import { actorName } from './auth.ts';

export interface TemplateRouteDeps extends ApiRouteDeps {
  graph: Pick<GraphClient, 'createTemplate' | 'deleteTemplate'>;
  tokenForWaba: (wabaId: string) => Promise<string | null>;
}

const createSchema = z.object({
  wabaId: z.string().regex(/^\d+$/).optional(),
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'lowercase letters, digits and underscores'),
  language: z.string().min(2).max(15),
  category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']),
  parameterFormat: z.enum(['positional', 'named']).optional(),
  components: z.array(z.record(z.string(), z.unknown())).min(1),
});

/** Templates: the synced list, creation and deletion through Meta, and local previews. */
export async function templateRoutes(app: FastifyInstance, deps: TemplateRouteDeps): Promise<void> {
  const db = deps.handle.db;
  const wabaOf = async (given: string | undefined) => {
    if (given) return given;
    const wabas = [...new Set((await listChannels(db)).flatMap((c) => (c.wabaId ? [c.wabaId] : [])))];
    if (wabas.length !== 1)
      throw new ApiError(
        'invalid_request',
        'wabaId is required (there is not exactly one WhatsApp Business Account)',
      );
    return wabas[0]!;
  };
  const tokenOf = async (wabaId: string) => {
    const token = await deps.tokenForWaba(wabaId);
    if (!token)
      throw new ApiError('invalid_request', 'no WhatsApp access token is configured for this account');
    return token;
  };

  app.get('/api/v1/templates', async (request) => {
    const q = parseInput(z.object({ wabaId: z.string().optional() }), request.query);
    return { data: await listTemplates(db, q.wabaId) };
  });

  app.post('/api/v1/templates', async (request, reply) => {
    const input = parseInput(createSchema, request.body);
    const wabaId = await wabaOf(input.wabaId);
    try {
      const created = await deps.graph.createTemplate(wabaId, await tokenOf(wabaId), input);
      const now = deps.clock.now();
      await upsertTemplate(
        db,
        wabaId,
        {
          id: created.id,
          name: input.name,
          language: input.language,
          status: created.status,
          category: created.category,
          components: input.components,
          parameterFormat: input.parameterFormat ?? 'positional',
          qualityScore: null,
          rejectedReason: null,
        },
        now.toISOString(),
      );
      await recordAudit(
        db,
        {
          actor: actorName(request),
          action: 'template.create',
          subjectType: 'Template',
          subjectId: created.id,
          detail: { name: input.name, language: input.language },
        },
        now,
      );
      return reply.code(201).send({ id: created.id, status: created.status, category: created.category });
    } catch (error) {
      return graphFailure(reply, error);
    }
  });

  app.delete('/api/v1/templates/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    const q = parseInput(z.object({ wabaId: z.string().optional() }), request.query);
    const wabaId = await wabaOf(q.wabaId);
    try {
      await deps.graph.deleteTemplate(wabaId, await tokenOf(wabaId), name);
    } catch (error) {
      return graphFailure(reply, error);
    }
    const now = deps.clock.now();
    await db
      .updateTable('templates')
      .set({ status: 'DELETED', updated_at: now.toISOString() })
      .where('waba_id', '=', wabaId)
      .where('name', '=', name)
      .execute();
    await recordAudit(
      db,
      {
        actor: actorName(request),
        action: 'template.delete',
        subjectType: 'Template',
        subjectId: name,
      },
      now,
    );
    return reply.code(204).send();
  });

  // Renders the text the customer would see and checks the parameters, without sending anything.
  app.post('/api/v1/templates/preview', async (request, reply) => {
    const body = z.object({ wabaId: z.string().optional(), content: contentSchema }).safeParse(request.body);
    if (!body.success || body.data.content.type !== 'template')
      throw new ApiError('invalid_request', 'content must be a template send');
    const send = body.data.content.template;
    const named = await templatesNamed(db, await wabaOf(body.data.wabaId), send.name);
    const record = named.find((t) => t.language === send.language) ?? null;
    const violation = checkTemplateSend(send, record, named);
    if (violation)
      return reply.code(422).send(
        errorBody(violation.code as ErrorCode, violation.message, {
          ...(violation.field && { field: violation.field }),
          ...violation.details,
        }),
      );
    return { text: renderTemplatePreview(record!, send) };
  });
}

function graphFailure(reply: FastifyReply, error: unknown) {
  if (error instanceof GraphApiError) {
    return reply.code(502).send(
      errorBody('whatsapp_error', `WhatsApp refused: ${error.title ?? error.message}`, {
        code: error.code ?? null,
        details: error.details ?? null,
      }),
    );
  }
  throw error;
}
