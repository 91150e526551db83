import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db.ts';
import { newId } from '../ids.ts';

/** API tokens are shown once and stored as SHA-256 hashes: a database leak does not leak access. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export async function createApiToken(
  db: Db,
  name: string,
  now: Date,
): Promise<{ id: string; token: string }> {
  const token = `sb_${randomBytes(32).toString('base64url')}`;
  const id = newId();
  await db
    .insertInto('api_tokens')
    .values({
      id,
      name,
      token_hash: hashToken(token),
      created_at: now.toISOString(),
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
  return { id, token };
}

export async function findActiveTokenByHash(
  db: Db,
  tokenHash: string,
): Promise<{ id: string; name: string } | null> {
  const row = await db
    .selectFrom('api_tokens')
    .select(['id', 'name'])
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ?? null;
}
