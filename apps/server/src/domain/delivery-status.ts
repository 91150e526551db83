/**
 * Order-tolerant outbound message status. Meta's status webhooks can arrive in any order and more
 * than once, so the stored status is the highest one seen, never the latest one received.
 */

/**
 * Lowest to highest. 'failed' ranks above 'sent' (a late 'sent' must not hide a failure) but below
 * 'delivered' (a later 'delivered' proves the failure was not final). 'played' is for voice only.
 */
export const OUTBOUND_STATUSES = ['accepted', 'sent', 'failed', 'delivered', 'read', 'played'] as const;
export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];

const RANK: ReadonlyMap<string, number> = new Map(OUTBOUND_STATUSES.map((status, rank) => [status, rank]));

/** Position in the order above; -1 for a status we do not know, so any known status outranks it. */
export function statusRank(status: string): number {
  return RANK.get(status) ?? -1;
}

/** The higher of the two; on a tie the current one stays, so replays change nothing. */
export function mergeStatus(current: string | null, incoming: string): string {
  if (current === null) return incoming;
  return statusRank(incoming) > statusRank(current) ? incoming : current;
}

/** The status a message ends at after all of these, whatever order they arrived in; null for none. */
export function finalStatusOf(statuses: readonly [string, ...string[]]): string;
export function finalStatusOf(statuses: readonly string[]): string | null;
export function finalStatusOf(statuses: readonly string[]): string | null {
  return statuses.reduce<string | null>((current, incoming) => mergeStatus(current, incoming), null);
}
