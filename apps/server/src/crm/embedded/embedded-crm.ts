import type { CrmPerson, CrmPort } from '../crm-port.ts';
import { isPostgres, type Db } from '../../storage/db.ts';
import { newId } from '../../storage/ids.ts';
import { nextCounterValue, nextSequenceValue } from '../../storage/repositories/counters.ts';

/** Switchboard's own CRM tables: the system of record when Salesforce is not connected. */
export class EmbeddedCrm implements CrmPort {
  async findPeopleByPhone(db: Db, e164Numbers: readonly string[]): Promise<CrmPerson[]> {
    if (e164Numbers.length === 0) return [];
    const numbers = [...e164Numbers];
    const contacts = await db
      .selectFrom('contacts')
      .select(['id', 'first_name', 'last_name', 'phone_e164'])
      .where('phone_e164', 'in', numbers)
      .orderBy('created_at')
      .execute();
    const leads = await db
      .selectFrom('leads')
      .select(['id', 'first_name', 'last_name', 'phone_e164'])
      .where('phone_e164', 'in', numbers)
      .where('status', '<>', 'Converted')
      .orderBy('created_at')
      .execute();
    return [
      ...contacts.map((r) => ({
        type: 'Contact' as const,
        id: r.id,
        name: fullName(r.first_name, r.last_name),
        phoneE164: r.phone_e164,
      })),
      ...leads.map((r) => ({
        type: 'Lead' as const,
        id: r.id,
        name: fullName(r.first_name, r.last_name),
        phoneE164: r.phone_e164,
      })),
    ];
  }

  async createLead(
    db: Db,
    input: { lastName: string; firstName: string | null; phoneE164: string; company: string },
    now: Date,
  ) {
    const at = now.toISOString();
    const id = newId();
    await db
      .insertInto('leads')
      .values({
        id,
        first_name: input.firstName,
        last_name: input.lastName,
        company: input.company,
        phone: input.phoneE164,
        phone_e164: input.phoneE164,
        status: 'Open - Not Contacted',
        lead_source: 'WhatsApp',
        created_at: at,
        updated_at: at,
      })
      .execute();
    return {
      type: 'Lead' as const,
      id,
      name: fullName(input.firstName, input.lastName),
      phoneE164: input.phoneE164,
    };
  }

  async createContact(
    db: Db,
    input: { lastName: string; firstName: string | null; phoneE164: string },
    now: Date,
  ) {
    const at = now.toISOString();
    const id = newId();
    await db
      .insertInto('contacts')
      .values({
        id,
        account_id: null,
        first_name: input.firstName,
        last_name: input.lastName,
        phone: input.phoneE164,
        phone_e164: input.phoneE164,
        email: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    return {
      type: 'Contact' as const,
      id,
      name: fullName(input.firstName, input.lastName),
      phoneE164: input.phoneE164,
    };
  }

  async openCase(
    db: Db,
    input: { subject: string; origin: string; contactId: string | null; leadId: string | null },
    now: Date,
  ) {
    const at = now.toISOString();
    const id = newId();
    // Salesforce-style case numbers. SQLite: a counter row, locked by its UPDATE (one writer at a time
    // anyway). PostgreSQL: a sequence, so that transactions opening Cases do not wait on each other.
    const next = isPostgres(db)
      ? await nextSequenceValue(db, 'case_numbers')
      : await nextCounterValue(db, 'case_number', 1000);
    const caseNumber = String(next).padStart(8, '0');
    await db
      .insertInto('cases')
      .values({
        id,
        case_number: caseNumber,
        subject: input.subject,
        status: 'New',
        origin: input.origin,
        priority: 'Medium',
        contact_id: input.contactId,
        lead_id: input.leadId,
        account_id: null,
        created_at: at,
        updated_at: at,
        closed_at: null,
      })
      .execute();
    return { id, caseNumber };
  }
}

function fullName(first: string | null, last: string): string {
  return first ? `${first} ${last}` : last;
}
