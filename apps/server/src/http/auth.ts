import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { DatabaseHandle } from '../storage/db.ts';
import { findActiveTokenByHash, hashToken } from '../storage/repositories/api-tokens.ts';
import { ApiError } from './errors.ts';

export interface Principal {
  kind: 'admin' | 'token';
  name: string;
}

/** Bearer-token auth: the configured admin token, or a token created with `switchboard token create`. */
export function createAuthenticator(handle: DatabaseHandle, adminToken: string | undefined) {
  const adminHash = adminToken ? Buffer.from(hashToken(adminToken), 'hex') : null;
  return async (request: FastifyRequest): Promise<Principal> => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new ApiError('unauthorized', 'send Authorization: Bearer <api token>');
    const tokenHash = hashToken(match[1]!);
    if (adminHash && timingSafeEqual(adminHash, Buffer.from(tokenHash, 'hex')))
      return { kind: 'admin', name: 'admin' };
    const token = await findActiveTokenByHash(handle.db, tokenHash);
    if (!token) throw new ApiError('unauthorized', 'unknown or revoked API token');
    return { kind: 'token', name: token.name };
  };
}

/**
 * Who the audit trail names for an API request: the token's name. Every /api route authenticates
 * first, so the fallback only names a caller that got past no authenticator (a route mounted wrongly).
 */
export function actorName(request: { principal?: Principal }): string {
  return request.principal?.name ?? 'unauthenticated';
}
