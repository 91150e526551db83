import { z } from 'zod';
import { ApiError } from './errors.ts';

/** Opaque cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(raw: string | undefined, schema: z.ZodType<T>): T | null {
  if (!raw) return null;
  try {
    return schema.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
  } catch {
    throw new ApiError('invalid_request', 'cursor is not one this API returned');
  }
}

export const limitSchema = z.coerce.number().int().min(1).max(200).default(50);
