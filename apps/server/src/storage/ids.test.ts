import { describe, expect, it } from 'vitest';
import { idTimestamp, newId, uuidV7 } from './ids.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId (UUIDv7)', () => {
  it('is a version 7, RFC 9562 variant UUID carrying the time it was made', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(id).toMatch(UUID_V7);
    expect(idTimestamp(id)).toBeGreaterThanOrEqual(before);
    expect(idTimestamp(id)).toBeLessThanOrEqual(after);
  });

  it('encodes timestamps beyond 32 bits exactly', () => {
    const ms = Date.UTC(2089, 6, 1, 12, 0, 0, 123);
    expect(idTimestamp(uuidV7(ms))).toBe(ms);
  });

  it('sorts in creation order, also within one millisecond and past 4,096 ids in it', () => {
    const ms = Date.now() + 60_000; // later than anything made so far
    const ids = Array.from({ length: 10_000 }, () => uuidV7(ms));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });

  it('keeps the order when the clock goes back', () => {
    const ms = Date.now() + 120_000;
    const first = uuidV7(ms);
    const second = uuidV7(ms - 5_000);
    expect(second > first).toBe(true);
  });

  it('differs in its random tail between calls', () => {
    const tails = new Set(Array.from({ length: 1_000 }, () => newId().slice(19)));
    expect(tails.size).toBe(1_000);
  });
});
