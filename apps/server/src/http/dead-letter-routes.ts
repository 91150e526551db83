import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { discardDeadLetter, listDeadLetters, retryDeadLetter } from '../services/dead-letters.ts';
import { recordAudit } from '../storage/repositories/audit.ts';
import type { ApiRouteDeps } from './api-routes.ts';
import { parseInput } from './validation.ts';
import { ApiError } from './errors.ts';
import { outboundJson } from './send-routes.ts';
import { actorName } from './auth.ts';

/** Dead letters of the outbound queue: list, retry, discard (the CLI offers the same). */
export async function deadLetterRoutes(app: FastifyInstance, deps: ApiRouteDeps & { onQueued?: () => void }) {
  const db = deps.handle.db;

  app.get('/api/v1/dead-letters', async (request) => {
    const { limit } = parseInput(
      z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
      request.query,
    );
    return { data: (await listDeadLetters(db, limit)).map(outboundJson) };
  });

  app.post('/api/v1/dead-letters/:id/retry', async (request) => {
    const { id } = request.params as { id: string };
    const now = deps.clock.now();
    const row = await db.transaction().execute(async (trx) => {
      const retried = await retryDeadLetter(trx, id, now);
      if (retried)
        await recordAudit(
          trx,
          {
            actor: actorName(request),
            action: 'dead_letter.retry',
            subjectType: 'OutboundMessage',
            subjectId: id,
          },
          now,
        );
      return retried;
    });
    if (!row) throw new ApiError('not_found', `no dead letter ${id}`);
    deps.onQueued?.();
    return outboundJson(row);
  });

  app.delete('/api/v1/dead-letters/:id', async (request) => {
    const { id } = request.params as { id: string };
    const now = deps.clock.now();
    const row = await db.transaction().execute(async (trx) => {
      const discarded = await discardDeadLetter(trx, id, now);
      if (discarded)
        await recordAudit(
          trx,
          {
            actor: actorName(request),
            action: 'dead_letter.discard',
            subjectType: 'OutboundMessage',
            subjectId: id,
          },
          now,
        );
      return discarded;
    });
    if (!row) throw new ApiError('not_found', `no dead letter ${id}`);
    return outboundJson(row);
  });
}
