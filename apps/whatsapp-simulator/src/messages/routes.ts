import type { FastifyInstance } from 'fastify';
import type { SimulatorCore } from '../core.ts';
import { handleMessagesRequest } from './send.ts';

export function registerMessageRoutes(app: FastifyInstance, core: SimulatorCore): void {
  app.post<{ Params: { version: string; phoneNumberId: string } }>(
    '/:version/:phoneNumberId/messages',
    { config: { graph: 'POST messages' } },
    async (request) => {
      const business = core.requireBusiness(request.params.phoneNumberId, 'post');
      return handleMessagesRequest(core, business, request.body);
    },
  );
}
