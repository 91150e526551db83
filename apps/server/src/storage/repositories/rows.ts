/** Small helpers shared by the row mappers. */
export const toDate = (value: string): Date => new Date(value);
export const toDateOrNull = (value: string | null): Date | null => (value === null ? null : new Date(value));
export const isoOrNull = (value: Date | null): string | null => (value === null ? null : value.toISOString());
export const json = (value: unknown): string => JSON.stringify(value);
export const jsonOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);
export function parseJson<T = unknown>(value: string | null): T | null {
  return value === null ? null : (JSON.parse(value) as T);
}
