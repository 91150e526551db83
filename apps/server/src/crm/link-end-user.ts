import { decideLink, namesFromProfile } from '../domain/crm-link.ts';
import type { Channel, MessagingEndUser } from '../domain/model.ts';
import { matchCandidates, waIdToE164 } from '../domain/phone.ts';
import type { DomainEvent } from '../events/event-bus.ts';
import type { Db } from '../storage/db.ts';
import { setEndUserLink } from '../storage/repositories/end-users.ts';
import type { CrmPort } from './crm-port.ts';

/**
 * Links a new end user to the Contact or Lead with its phone number; with no match, follows the
 * channel's rule (create a Lead, a Contact, or leave it unlinked); with several, flags it.
 */
export async function linkEndUserToCrm(
  ctx: { db: Db; now: Date; crm: CrmPort; events: DomainEvent[] },
  channel: Channel,
  endUser: MessagingEndUser,
): Promise<void> {
  // A username-only WhatsApp user has a business-scoped id and no phone number to match on.
  if (!/^\d{6,15}$/.test(endUser.waId)) return;
  const people = await ctx.crm.findPeopleByPhone(ctx.db, matchCandidates(endUser.waId));
  const decision = decideLink(people);
  if (decision.status !== 'unmatched') {
    await setEndUserLink(ctx.db, endUser.id, decision, ctx.now);
    ctx.events.push({ type: 'end_user.updated', endUserId: endUser.id, linkStatus: decision.status });
    return;
  }
  if (channel.unmatchedCustomerRule === 'none') return;
  const phoneE164 = waIdToE164(endUser.waId);
  const names = namesFromProfile(endUser.profileName, phoneE164);
  const person =
    channel.unmatchedCustomerRule === 'contact'
      ? await ctx.crm.createContact(ctx.db, { ...names, phoneE164 }, ctx.now)
      : await ctx.crm.createLead(
          ctx.db,
          { ...names, phoneE164, company: endUser.profileName ?? phoneE164 },
          ctx.now,
        );
  await setEndUserLink(
    ctx.db,
    endUser.id,
    {
      status: 'linked',
      contactId: person.type === 'Contact' ? person.id : null,
      leadId: person.type === 'Lead' ? person.id : null,
      candidates: [],
    },
    ctx.now,
  );
  ctx.events.push({ type: 'end_user.updated', endUserId: endUser.id, linkStatus: 'linked' });
}
