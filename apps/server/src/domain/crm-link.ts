import type { CrmRef, LinkStatus } from './model.ts';

export type LinkDecision =
  | {
      status: Extract<LinkStatus, 'linked'>;
      contactId: string | null;
      leadId: string | null;
      candidates: CrmRef[];
    }
  | { status: Extract<LinkStatus, 'ambiguous'>; contactId: null; leadId: null; candidates: CrmRef[] }
  | { status: 'unmatched' };

/**
 * Which CRM record a customer's phone belongs to. A Contact wins over Leads (a Lead that matches
 * beside a Contact is usually the same person before conversion); two Contacts, or no Contact and
 * two Leads, are a choice for a person, so nothing is linked and every candidate is kept.
 */
export function decideLink(matches: readonly CrmRef[]): LinkDecision {
  const contacts = matches.filter((m) => m.type === 'Contact');
  const leads = matches.filter((m) => m.type === 'Lead');
  if (contacts.length === 1)
    return { status: 'linked', contactId: contacts[0]!.id, leadId: null, candidates: [] };
  if (contacts.length > 1)
    return { status: 'ambiguous', contactId: null, leadId: null, candidates: refs(contacts) };
  if (leads.length === 1) return { status: 'linked', contactId: null, leadId: leads[0]!.id, candidates: [] };
  if (leads.length > 1)
    return { status: 'ambiguous', contactId: null, leadId: null, candidates: refs(leads) };
  return { status: 'unmatched' };
}

/** Only the reference is kept: callers may pass richer records (names, phones). */
const refs = (records: readonly CrmRef[]): CrmRef[] => records.map(({ type, id }) => ({ type, id }));

/** Splits a WhatsApp profile name into the CRM's first and last name (last name is required). */
export function namesFromProfile(
  profileName: string | null,
  fallback: string,
): { firstName: string | null; lastName: string } {
  const parts = (profileName ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { firstName: null, lastName: fallback };
  if (parts.length === 1) return { firstName: null, lastName: parts[0]! };
  return { firstName: parts.slice(0, -1).join(' '), lastName: parts[parts.length - 1]! };
}
