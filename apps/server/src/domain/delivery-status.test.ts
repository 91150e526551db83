import { describe, expect, it } from 'vitest';
import { OUTBOUND_STATUSES, finalStatusOf, mergeStatus, statusRank } from './delivery-status.ts';

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('statusRank', () => {
  it('orders accepted < sent < failed < delivered < read < played', () => {
    const ranks = OUTBOUND_STATUSES.map(statusRank);
    expect(ranks).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('ranks unknown statuses below every known one', () => {
    expect(statusRank('deleted')).toBe(-1);
    expect(statusRank('')).toBe(-1);
  });
});

describe('mergeStatus', () => {
  it('takes the first status as is', () => {
    expect(mergeStatus(null, 'sent')).toBe('sent');
    expect(mergeStatus(null, 'something_new')).toBe('something_new');
  });

  it('never goes backwards', () => {
    expect(mergeStatus('read', 'delivered')).toBe('read');
    expect(mergeStatus('delivered', 'sent')).toBe('delivered');
    expect(mergeStatus('sent', 'accepted')).toBe('sent');
    expect(mergeStatus('played', 'read')).toBe('played');
  });

  it('a late sent does not hide a failure; a later delivered overrides it', () => {
    expect(mergeStatus('failed', 'sent')).toBe('failed');
    expect(mergeStatus('sent', 'failed')).toBe('failed');
    expect(mergeStatus('failed', 'delivered')).toBe('delivered');
    expect(mergeStatus('delivered', 'failed')).toBe('delivered');
  });

  it('is a no-op for replays and unknown statuses', () => {
    expect(mergeStatus('delivered', 'delivered')).toBe('delivered');
    expect(mergeStatus('sent', 'something_new')).toBe('sent');
    expect(mergeStatus('something_new', 'sent')).toBe('sent');
  });
});

describe('finalStatusOf', () => {
  it('is null for no statuses', () => {
    expect(finalStatusOf([])).toBeNull();
  });

  it('ends at read for every order of sent, delivered and read', () => {
    const orders = permutations(['sent', 'delivered', 'read']);
    expect(orders).toHaveLength(6);
    for (const order of orders) expect(finalStatusOf(order), order.join(' → ')).toBe('read');
  });

  it('never goes down while sent, delivered and read arrive in any order', () => {
    for (const order of permutations(['sent', 'delivered', 'read'])) {
      let current: string | null = null;
      for (const incoming of order) {
        const next = mergeStatus(current, incoming);
        if (current !== null) expect(statusRank(next)).toBeGreaterThanOrEqual(statusRank(current));
        current = next;
      }
      expect(current).toBe('read');
    }
  });

  it('ends at the highest status for every order, with duplicates', () => {
    for (const order of permutations(['accepted', 'sent', 'failed', 'delivered'])) {
      expect(finalStatusOf([...order, 'sent'])).toBe('delivered');
    }
    for (const order of permutations(['accepted', 'sent', 'failed'])) {
      expect(finalStatusOf(order)).toBe('failed');
    }
    expect(finalStatusOf(['sent', 'played', 'delivered', 'read'])).toBe('played');
  });
});
