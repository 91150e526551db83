import { GraphError } from '../errors.ts';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** 131008, in the words Graph uses for a missing field. */
export function required(path: string): GraphError {
  return new GraphError(131008, `The parameter ${path} is required.`);
}

/** 131009: present but not acceptable. */
export function invalid(details: string): GraphError {
  return new GraphError(131009, details);
}

/** Graph's own parameter errors: code 100, the text in the message itself. */
export function graphParamError(message: string): GraphError {
  return new GraphError(100, message, { message: `(#100) ${message}` });
}
