import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertChannel } from '../src/storage/repositories/channels.ts';
import { newId } from '../src/storage/ids.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import {
  CHANNEL,
  messagesDelivery,
  startTestServer,
  textDelivery,
  type TestServer,
} from './support/server.ts';

const HOUR = 3600;

/** Customers are matched to Contacts and Leads by phone; sessions, Cases and the care window follow. */
describe.each(testDialects())('CRM linking and sessions on %s', (dialect) => {
  let t: TestDatabase;
  let server: TestServer;
  const db = () => server.runtime.handle.db;
  const at = new Date().toISOString();
  const addContact = async (phoneE164: string, lastName: string) => {
    const id = newId();
    await db()
      .insertInto('contacts')
      .values({
        id,
        account_id: null,
        first_name: null,
        last_name: lastName,
        phone: phoneE164,
        phone_e164: phoneE164,
        email: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    return id;
  };
  const endUser = (waId: string, phoneNumberId = CHANNEL.phoneNumberId) =>
    db()
      .selectFrom('end_users')
      .innerJoin('channels', 'channels.id', 'end_users.channel_id')
      .selectAll('end_users')
      .where('wa_id', '=', waId)
      .where('channels.phone_number_id', '=', phoneNumberId)
      .executeTakeFirstOrThrow();
  const send = async (o: Parameters<typeof textDelivery>[0]) => {
    expect((await server.deliver(textDelivery(o))).status).toBe(200);
    await server.settled();
  };

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    server = await startTestServer(t);
    await upsertChannel(db(), CHANNEL, new Date());
  });
  afterAll(async () => {
    await server.stop();
    await t.destroy();
  });

  it('links a Brazilian customer to the Contact stored without the extra mobile 9', async () => {
    const contactId = await addContact('+551187654321', 'Oliveira');
    await send({ wamid: 'wamid.br-1', from: '5511987654321', name: 'Ana Oliveira' });
    const user = await endUser('5511987654321');
    expect(user).toMatchObject({ link_status: 'linked', contact_id: contactId, lead_id: null });
    const session = await db()
      .selectFrom('messaging_sessions')
      .selectAll()
      .where('end_user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    const kase = await db()
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', session.case_id!)
      .executeTakeFirstOrThrow();
    expect(kase).toMatchObject({ origin: 'WhatsApp', status: 'New', contact_id: contactId });
  });

  it('links nobody and keeps the candidates when two Contacts share the number', async () => {
    const a = await addContact('+447700900222', 'Smith');
    const b = await addContact('+447700900222', 'Smyth');
    await send({ wamid: 'wamid.amb-1', from: '447700900222' });
    const user = await endUser('447700900222');
    expect(user.link_status).toBe('ambiguous');
    expect(user.contact_id).toBeNull();
    expect(JSON.parse(user.link_candidates!)).toEqual(
      expect.arrayContaining([
        { type: 'Contact', id: a },
        { type: 'Contact', id: b },
      ]),
    );
    const api = await server.api<{ endUsers: { linkStatus: string; linkCandidates: unknown[] }[] }>(
      '/api/v1/end-users/447700900222',
    );
    expect(api.body.endUsers[0]).toMatchObject({ linkStatus: 'ambiguous' });
    expect(api.body.endUsers[0]!.linkCandidates).toHaveLength(2);
  });

  it('creates a Lead for an unknown customer by default, named from the WhatsApp profile', async () => {
    await send({ wamid: 'wamid.lead-1', from: '4915112345001', name: 'Jonas Weber' });
    const user = await endUser('4915112345001');
    const lead = await db()
      .selectFrom('leads')
      .selectAll()
      .where('id', '=', user.lead_id!)
      .executeTakeFirstOrThrow();
    expect(lead).toMatchObject({
      first_name: 'Jonas',
      last_name: 'Weber',
      phone_e164: '+4915112345001',
      lead_source: 'WhatsApp',
    });
    // The next customer with that number on another channel is linked to the same Lead, not a new one.
    await upsertChannel(db(), { phoneNumberId: '200000000000001', wabaId: CHANNEL.wabaId }, new Date());
    await send({ wamid: 'wamid.lead-2', from: '4915112345001', phoneNumberId: '200000000000001' });
    expect((await endUser('4915112345001', '200000000000001')).lead_id).toBe(lead.id);
  });

  it('follows the channel rule for unknown customers: a Contact, or nothing', async () => {
    await upsertChannel(
      db(),
      { phoneNumberId: '200000000000002', unmatchedCustomerRule: 'contact', createCase: false },
      new Date(),
    );
    await send({
      wamid: 'wamid.rule-contact',
      from: '4915112345002',
      phoneNumberId: '200000000000002',
      name: 'Mia',
    });
    const asContact = await endUser('4915112345002', '200000000000002');
    expect(asContact.contact_id).not.toBeNull();
    expect(asContact.lead_id).toBeNull();
    const session = await db()
      .selectFrom('messaging_sessions')
      .selectAll()
      .where('end_user_id', '=', asContact.id)
      .executeTakeFirstOrThrow();
    expect(session.case_id).toBeNull();

    await upsertChannel(
      db(),
      { phoneNumberId: '200000000000003', unmatchedCustomerRule: 'none' },
      new Date(),
    );
    await send({ wamid: 'wamid.rule-none', from: '4915112345003', phoneNumberId: '200000000000003' });
    expect(await endUser('4915112345003', '200000000000003')).toMatchObject({
      link_status: 'unlinked',
      contact_id: null,
      lead_id: null,
    });
  });

  it('keeps one session per customer, with the care window at last inbound + 24 h, never moved back', async () => {
    const t0 = 1_750_000_000;
    await send({ wamid: 'wamid.win-1', from: '33612345678', timestamp: t0 });
    await send({ wamid: 'wamid.win-2', from: '33612345678', timestamp: t0 + 2 * HOUR });
    await send({ wamid: 'wamid.win-0', from: '33612345678', timestamp: t0 - HOUR }); // late delivery of an older message
    const user = await endUser('33612345678');
    const sessions = await db()
      .selectFrom('messaging_sessions')
      .selectAll()
      .where('end_user_id', '=', user.id)
      .execute();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.window_ends_at).toBe(new Date((t0 + 2 * HOUR + 24 * HOUR) * 1000).toISOString());
    expect(sessions[0]!.last_inbound_at).toBe(new Date((t0 + 2 * HOUR) * 1000).toISOString());
    expect(user.last_inbound_at).toBe(new Date((t0 + 2 * HOUR) * 1000).toISOString());
  });

  it("refreshes the end user's profile from each delivery and keeps what a delivery leaves out", async () => {
    const t0 = 1_755_000_000;
    await send({ wamid: 'wamid.prof-1', from: '33611112222', name: 'Camille', timestamp: t0 });
    const first = await endUser('33611112222');
    await send({ wamid: 'wamid.prof-2', from: '33611112222', name: 'Camille D.', timestamp: t0 + 60 });
    expect(await endUser('33611112222')).toMatchObject({ id: first.id, profile_name: 'Camille D.' });

    // Meta may send a contact without a profile (and, for a business-scoped user, its user_id)
    const noProfile = messagesDelivery({
      contacts: [{ wa_id: '33611112222', user_id: 'FR.1234567890' }],
      messages: [
        {
          from: '33611112222',
          id: 'wamid.prof-3',
          timestamp: String(t0 + 120),
          type: 'text',
          text: { body: 'hi' },
        },
      ],
    });
    expect((await server.deliver(noProfile)).status).toBe(200);
    await server.settled();
    expect(await endUser('33611112222')).toMatchObject({
      id: first.id,
      profile_name: 'Camille D.',
      user_id: 'FR.1234567890',
      last_inbound_at: new Date((t0 + 120) * 1000).toISOString(),
    });
    const users = await db()
      .selectFrom('end_users')
      .select('id')
      .where('wa_id', '=', '33611112222')
      .execute();
    expect(users).toHaveLength(1);
  });

  it('reopens an ended session within the reopen window, and opens a new one (with a new Case) after it', async () => {
    const t0 = 1_760_000_000;
    await send({ wamid: 'wamid.re-1', from: '33698765432', timestamp: t0 });
    const user = await endUser('33698765432');
    const first = await db()
      .selectFrom('messaging_sessions')
      .selectAll()
      .where('end_user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    const end = (seconds: number) =>
      db()
        .updateTable('messaging_sessions')
        .set({ status: 'Ended', ended_at: new Date(seconds * 1000).toISOString() })
        .where('end_user_id', '=', user.id)
        .where('status', '<>', 'Ended')
        .execute();

    await end(t0 + 60);
    await send({ wamid: 'wamid.re-2', from: '33698765432', timestamp: t0 + 60 + 30 * 60 }); // 30 min later: within 60
    const reopened = await db()
      .selectFrom('messaging_sessions')
      .selectAll()
      .where('end_user_id', '=', user.id)
      .execute();
    expect(reopened).toHaveLength(1);
    expect(reopened[0]).toMatchObject({
      id: first.id,
      status: 'Waiting',
      reopened_count: 1,
      case_id: first.case_id,
    });

    await end(t0 + 7200);
    await send({ wamid: 'wamid.re-3', from: '33698765432', timestamp: t0 + 7200 + 2 * HOUR }); // 2 h later: new session
    const all = await db()
      .selectFrom('messaging_sessions')
      .selectAll()
      .where('end_user_id', '=', user.id)
      .orderBy('started_at')
      .execute();
    expect(all).toHaveLength(2);
    expect(all[1]!.status).toBe('New');
    expect(all[1]!.case_id).not.toBe(first.case_id);
  });

  it('finds Contacts and Leads by phone in any format through the API', async () => {
    const found = await server.api<{ data: { type: string; lastName: string }[] }>(
      `/api/v1/contacts?phone=${encodeURIComponent('+55 (11) 98765-4321')}`,
    );
    expect(found.status).toBe(200);
    expect(found.body.data).toEqual([expect.objectContaining({ type: 'Contact', lastName: 'Oliveira' })]);
    const bad = await server.api<{ error: { code: string } }>('/api/v1/contacts?phone=hello');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
  });
});
