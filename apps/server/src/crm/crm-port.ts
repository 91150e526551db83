import type { CrmRef } from '../domain/model.ts';
import type { Db } from '../storage/db.ts';

/**
 * The CRM records the inbound pipeline reads and creates. The embedded adapter works inside the
 * pipeline's own transaction (`db`), so a message and the Lead/Case it creates commit together.
 * A Salesforce adapter will sit behind the same port and be fed through the sync outbox.
 */
export interface CrmPerson extends CrmRef {
  name: string;
  phoneE164: string | null;
}

export interface CrmPort {
  /** Contacts and Leads whose phone is any of these E.164 numbers (converted Leads excluded). */
  findPeopleByPhone(db: Db, e164Numbers: readonly string[]): Promise<CrmPerson[]>;
  createLead(
    db: Db,
    input: { lastName: string; firstName: string | null; phoneE164: string; company: string },
    now: Date,
  ): Promise<CrmPerson>;
  createContact(
    db: Db,
    input: { lastName: string; firstName: string | null; phoneE164: string },
    now: Date,
  ): Promise<CrmPerson>;
  openCase(
    db: Db,
    input: { subject: string; origin: string; contactId: string | null; leadId: string | null },
    now: Date,
  ): Promise<{ id: string; caseNumber: string }>;
}
