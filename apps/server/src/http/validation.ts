import type { z } from 'zod';
import { ApiError, type ErrorCode } from './errors.ts';

/** Parses request input or throws a 4xx naming every field at fault (the first one in details.field). */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, code: ErrorCode = 'invalid_request'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  throw new ApiError(code, issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '), {
    field: issues[0]?.path.join('.') ?? '',
  });
}
