import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../domain/clock.ts';
import { matchCandidates, toE164 } from '../domain/phone.ts';
import type { DatabaseHandle } from '../storage/db.ts';
import {
  listStatuses,
  findEntryByWamid,
  findMediaOfEntries,
  listEntriesOfSession,
} from '../storage/repositories/entries.ts';
import { findEndUsersByWaId } from '../storage/repositories/end-users.ts';
import {
  entriesWithMedia,
  entryFromRow,
  findPeopleForPhones,
  listConversations,
  sessionExists,
  statusHistoryFromRows,
} from '../storage/repositories/read-api.ts';
import { decodeCursor, encodeCursor, limitSchema } from './cursor.ts';
import { ApiError } from './errors.ts';
import { parseInput } from './validation.ts';
import type { Principal } from './auth.ts';

export interface ApiRouteDeps {
  handle: DatabaseHandle;
  clock: Clock;
  authenticate: (request: FastifyRequest) => Promise<Principal>;
}

const sessionCursor = z.object({ startedAt: z.string(), id: z.string() });
const entryCursor = z.object({ occurredAt: z.string(), id: z.string() });

/** The read API (v1). Every route needs a bearer token. */
export async function apiRoutes(app: FastifyInstance, deps: ApiRouteDeps): Promise<void> {
  const db = deps.handle.db;

  app.get('/api/v1/conversations', async (request) => {
    const q = parseInput(
      z.object({
        status: z.enum(['New', 'Waiting', 'Active', 'Inactive', 'Ended']).optional(),
        channel: z.string().optional(),
        limit: limitSchema,
        cursor: z.string().optional(),
      }),
      request.query,
    );
    const rows = await listConversations(
      db,
      {
        status: q.status,
        channelId: q.channel,
        after: decodeCursor(q.cursor, sessionCursor),
        limit: q.limit + 1,
      },
      deps.clock.now(),
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      data: page,
      nextCursor:
        rows.length > q.limit && last ? encodeCursor({ startedAt: last.startedAt, id: last.id }) : null,
    };
  });

  app.get('/api/v1/conversations/:id/entries', async (request) => {
    const { id } = request.params as { id: string };
    const q = parseInput(z.object({ limit: limitSchema, cursor: z.string().optional() }), request.query);
    if (!(await sessionExists(db, id))) throw new ApiError('not_found', `no conversation ${id}`);
    const rows = await listEntriesOfSession(db, id, {
      after: decodeCursor(q.cursor, entryCursor),
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      data: await entriesWithMedia(db, page),
      nextCursor:
        rows.length > q.limit && last ? encodeCursor({ occurredAt: last.occurred_at, id: last.id }) : null,
    };
  });

  app.get('/api/v1/messages/:wamid', async (request) => {
    const { wamid } = request.params as { wamid: string };
    const row = await findEntryByWamid(db, wamid);
    if (!row) throw new ApiError('not_found', `no message ${wamid}`);
    const [media] = await findMediaOfEntries(db, [row.id]);
    return {
      ...entryFromRow(row, media ?? null),
      statusHistory: statusHistoryFromRows(await listStatuses(db, wamid)),
    };
  });

  app.get('/api/v1/contacts', async (request) => {
    const q = parseInput(z.object({ phone: z.string().min(3) }), request.query);
    const e164 = toE164(q.phone);
    if (!e164)
      throw new ApiError('invalid_request', 'phone is not a phone number (use E.164, e.g. +5511987654321)');
    return { data: await findPeopleForPhones(db, matchCandidates(e164.slice(1))) };
  });

  app.get('/api/v1/end-users/:waId', async (request) => {
    const { waId } = request.params as { waId: string };
    if (!/^\d{5,20}$/.test(waId))
      throw new ApiError('invalid_request', 'waId is the customer number in digits, without +');
    const endUsers = await findEndUsersByWaId(db, waId);
    if (endUsers.length === 0) throw new ApiError('not_found', `no end user ${waId}`);
    return {
      waId,
      endUsers: endUsers.map((u) => ({
        id: u.id,
        channelId: u.channelId,
        waId: u.waId,
        userId: u.userId,
        parentUserId: u.parentUserId,
        profileName: u.profileName,
        contactId: u.contactId,
        leadId: u.leadId,
        linkStatus: u.linkStatus,
        linkCandidates: u.linkCandidates,
        lastInboundAt: u.lastInboundAt?.toISOString() ?? null,
        createdAt: u.createdAt.toISOString(),
      })),
    };
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
