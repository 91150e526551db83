import type { FastifyInstance } from 'fastify';
import type { SimulatorCore } from '../core.ts';
import { GraphError } from '../errors.ts';
import { isObject } from '../messages/params.ts';
import { templateStatusEvent } from '../webhooks/payloads.ts';
import {
  type Template,
  type TemplateCategory,
  type TemplateComponent,
  type TemplateStatus,
  templateJson,
} from './store.ts';

const CATEGORIES: TemplateCategory[] = ['MARKETING', 'UTILITY', 'AUTHENTICATION'];
const COMPONENT_TYPES = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS'];

/** Template-management errors carry error_user_title / error_user_msg instead of error_data. */
function templateError(userTitle: string, userMessage: string, subcode?: number): GraphError {
  return new GraphError(100, userMessage, {
    message: 'Invalid parameter',
    userTitle,
    userMessage,
    omitErrorData: true,
    ...(subcode === undefined ? {} : { subcode }),
  });
}

/** Moves a template to a new status and sends message_template_status_update. */
export function setTemplateStatus(
  core: SimulatorCore,
  template: Template,
  status: TemplateStatus,
  event: string = status,
  reason: string | null = null,
): void {
  template.status = status;
  template.rejectedReason = status === 'REJECTED' ? reason : null;
  core.emit(
    templateStatusEvent(template.wabaId, template, event, reason ?? (status === 'APPROVED' ? 'NONE' : null)),
  );
}

/** GET / POST / DELETE /{waba-id}/message_templates, with auto-review after creation. */
export function registerTemplateRoutes(app: FastifyInstance, core: SimulatorCore): void {
  app.get<{
    Params: { version: string; wabaId: string };
    Querystring: {
      name?: string;
      status?: string;
      language?: string;
      category?: string;
      limit?: string;
      after?: string;
    };
  }>(
    '/:version/:wabaId/message_templates',
    { config: { graph: 'GET message_templates' } },
    async (request) => {
      const wabaId = core.requireWaba(request.params.wabaId, 'get');
      const q = request.query;
      const all = core.templates
        .list(wabaId)
        .filter((t) => (q.name ? t.name.includes(q.name) : true))
        .filter((t) => (q.status ? q.status.split(',').includes(t.status) : true))
        .filter((t) => (q.language ? t.language === q.language : true))
        .filter((t) => (q.category ? t.category === q.category : true));
      const limit = Math.min(Math.max(Number(q.limit ?? 25) || 25, 1), 1000);
      const start = q.after ? Number(Buffer.from(q.after, 'base64url').toString()) || 0 : 0;
      const page = all.slice(start, start + limit);
      const cursor = (n: number) => Buffer.from(String(n)).toString('base64url');
      const result: Record<string, unknown> = { data: page.map(templateJson) };
      if (page.length > 0) {
        const paging: Record<string, unknown> = {
          cursors: { before: cursor(start), after: cursor(start + page.length) },
        };
        if (start + page.length < all.length)
          paging['next'] = `?after=${cursor(start + page.length)}&limit=${limit}`;
        result['paging'] = paging;
      }
      return result;
    },
  );

  app.post<{ Params: { version: string; wabaId: string } }>(
    '/:version/:wabaId/message_templates',
    { config: { graph: 'POST message_templates' } },
    async (request) => {
      const wabaId = core.requireWaba(request.params.wabaId, 'post');
      const body = isObject(request.body) ? request.body : {};
      const { name, language, category, components } = body;
      if (typeof name !== 'string' || !/^[a-z0-9_]{1,512}$/.test(name)) {
        throw templateError(
          'Invalid template name',
          'Template name may only contain lowercase letters, digits and underscores (at most 512 characters).',
        );
      }
      if (typeof language !== 'string' || !/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/.test(language)) {
        throw templateError(
          'Invalid language',
          'Param language must be a supported language code such as en_US.',
        );
      }
      if (typeof category !== 'string' || !CATEGORIES.includes(category as TemplateCategory)) {
        throw templateError('Invalid category', `Param category must be one of {${CATEGORIES.join(', ')}}.`);
      }
      if (
        !Array.isArray(components) ||
        !components.every((c) => isObject(c) && COMPONENT_TYPES.includes(String(c['type'])))
      ) {
        throw templateError(
          'Invalid components',
          `Every component needs a type among {${COMPONENT_TYPES.join(', ')}}.`,
        );
      }
      const body_ = components.find((c) => isObject(c) && c['type'] === 'BODY');
      if (!isObject(body_) || typeof body_['text'] !== 'string' || body_['text'].length === 0) {
        throw templateError('Body is required', 'A template needs a BODY component with text.');
      }
      if (core.templates.find(wabaId, name, language)) {
        throw templateError(
          'Content in this language already exists',
          `There is already ${language} content for this template. Create a new template and try again.`,
          2388024,
        );
      }
      const format = body['parameter_format'];
      const template = core.templates.add({
        wabaId,
        name,
        language,
        category: category as TemplateCategory,
        status: 'PENDING',
        components: components as TemplateComponent[],
        ...(format === 'NAMED' || format === 'POSITIONAL' ? { parameter_format: format } : {}),
      });
      const review = core.options.templateReview;
      const finish = () => {
        cancel();
        core.pendingReviews.delete(template.id);
        if (core.templates.get(template.id)?.status !== 'PENDING') return;
        if (review.outcome === 'APPROVED') setTemplateStatus(core, template, 'APPROVED');
        else setTemplateStatus(core, template, 'REJECTED', 'REJECTED', review.rejectionReason);
      };
      const cancel = core.schedule(review.delayMs, finish);
      core.pendingReviews.set(template.id, finish);
      return { id: template.id, status: template.status, category: template.category };
    },
  );

  app.delete<{
    Params: { version: string; wabaId: string };
    Querystring: { name?: string; hsm_id?: string };
  }>(
    '/:version/:wabaId/message_templates',
    { config: { graph: 'DELETE message_templates' } },
    async (request) => {
      const wabaId = core.requireWaba(request.params.wabaId, 'delete');
      const { name, hsm_id: hsmId } = request.query;
      if (!name) throw templateError('Name is required', 'The parameter name is required.');
      const removed = core.templates.remove(wabaId, name, hsmId);
      if (removed.length === 0) {
        throw templateError('Message template not found', `No message template named ${name} was found.`);
      }
      return { success: true };
    },
  );
}
