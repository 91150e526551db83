import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.ts';
import { BUSINESS, eventually, startSimulatedStack, type SimulatedStack } from '../support/simulated.ts';

/**
 * Every kind of delivery in ../shared/fixtures/whatsapp, produced by the simulator (signed, over
 * HTTP, as Meta would send it) and applied by Switchboard with the right type.
 */
describe.each(testDialects())('simulator deliveries of every fixture type on %s', (dialect) => {
  let t: TestDatabase;
  let stack: SimulatedStack;
  const db = () => stack.server.runtime.handle.db;
  const entryType = (wamid: string) =>
    eventually(
      async () =>
        (
          await db()
            .selectFrom('conversation_entries')
            .select('type')
            .where('wamid', '=', wamid)
            .executeTakeFirst()
        )?.type,
      `entry ${wamid}`,
    );
  const businessEvent = (field: string) =>
    eventually(
      async () =>
        (
          await db()
            .selectFrom('business_events')
            .select('field')
            .where('field', '=', field)
            .executeTakeFirst()
        )?.field,
      `business event ${field}`,
    );

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    stack = await startSimulatedStack(t);
  });
  afterAll(async () => {
    await stack.stop();
    await t.destroy();
  });

  it('customer messages: text, image, audio, video, document, sticker, location, contacts, reaction, unsupported', async () => {
    const c = stack.sim.customer('447700901001', 'Fixture Customer');
    const text = c.sendText('hello');
    const sent = {
      text: text.wamid,
      image: c.sendImage().wamid,
      audio: c.sendAudio().wamid,
      video: c.sendVideo().wamid,
      document: c.sendDocument().wamid,
      sticker: c.sendSticker().wamid,
      location: c.sendLocation({ latitude: 51.5, longitude: -0.12, name: 'Office', address: 'London' }).wamid,
      contacts: c.sendContacts([
        {
          name: { formatted_name: 'Ada L', first_name: 'Ada' },
          phones: [{ phone: '+447700900000', wa_id: '447700900000' }],
        },
      ]).wamid,
      reaction: c.sendReaction(text.wamid, '👍').wamid,
      unsupported: c.sendUnsupported().wamid,
    };
    for (const [type, wamid] of Object.entries(sent)) expect(await entryType(wamid), type).toBe(type);
  });

  it('a template quick-reply button, and statuses sent, delivered, read and failed', async () => {
    const to = '447700901002';
    await eventually(
      async () =>
        (await stack.server.api<{ data: unknown[] }>('/api/v1/templates')).body.data.length > 0
          ? true
          : undefined,
      'templates',
    );
    const send = (recipient: string) =>
      stack.server.api<{ id: string; entryId: string }>('/api/v1/messages', {
        method: 'POST',
        body: JSON.stringify({
          channel: BUSINESS.phoneNumberId,
          to: recipient,
          content: {
            type: 'template',
            template: {
              name: 'order_update',
              language: 'en_US',
              body: [
                { type: 'text', text: 'Ada' },
                { type: 'text', text: 'A-1' },
              ],
              buttons: [{ index: 0, subType: 'url', value: 'A-1' }],
            },
          },
        }),
      });
    const ok = await send(to);
    const wamid = await eventually(
      async () =>
        (
          await db()
            .selectFrom('outbound_messages')
            .select('wamid')
            .where('id', '=', ok.body.id)
            .executeTakeFirst()
        )?.wamid ?? undefined,
      'wamid',
    );
    const history = await eventually(async () => {
      const rows = await db()
        .selectFrom('message_statuses')
        .select('status')
        .where('wamid', '=', wamid)
        .execute();
      return rows.length >= 3 ? rows.map((r) => r.status).sort() : undefined;
    }, 'statuses');
    expect(history).toEqual(['delivered', 'read', 'sent']);
    expect(await entryType(stack.sim.customer(to).sendButton(wamid, 0).wamid)).toBe('button');

    stack.sim.setNotOnWhatsApp('447700901003');
    const failing = await send('447700901003');
    const failed = await eventually(async () => {
      const e = await db()
        .selectFrom('conversation_entries')
        .select(['status', 'error'])
        .where('id', '=', failing.body.entryId)
        .executeTakeFirst();
      return e?.status === 'failed' ? e : undefined;
    }, 'failed status');
    expect(JSON.parse(failed.error!)).toMatchObject({ code: 131026 });
  });

  it('template status, account, review, phone number quality and name updates', async () => {
    stack.sim.setTemplateStatus('order_update', 'en_US', 'REJECTED', 'INVALID_FORMAT');
    expect(await businessEvent('message_template_status_update')).toBeTruthy();
    stack.sim.sendBusinessEvent('account_update', {
      phone_number: BUSINESS.displayPhoneNumber,
      event: 'ACCOUNT_RESTRICTION',
      restriction_info: [
        { restriction_type: 'RESTRICTED_ADD_PHONE_NUMBER_ACTION', expiration: 1_900_000_000 },
      ],
    });
    stack.sim.sendBusinessEvent('account_review_update', { decision: 'APPROVED' });
    stack.sim.sendBusinessEvent('phone_number_quality_update', {
      display_phone_number: BUSINESS.displayPhoneNumber,
      event: 'FLAGGED',
      current_limit: 'TIER_1K',
    });
    stack.sim.sendBusinessEvent('phone_number_name_update', {
      display_phone_number: BUSINESS.displayPhoneNumber,
      decision: 'APPROVED',
      requested_verified_name: 'Switchboard Support',
      rejection_reason: null,
    });
    for (const field of [
      'account_update',
      'account_review_update',
      'phone_number_quality_update',
      'phone_number_name_update',
    ]) {
      expect(await businessEvent(field)).toBe(field);
    }
    const channel = await eventually(async () => {
      const c = await db()
        .selectFrom('channels')
        .selectAll()
        .where('phone_number_id', '=', BUSINESS.phoneNumberId)
        .executeTakeFirst();
      return c?.verified_name === 'Switchboard Support' && c.quality_rating === 'FLAGGED' ? c : undefined;
    }, 'channel updates');
    expect(channel).toMatchObject({ account_status: 'ACCOUNT_RESTRICTION', messaging_limit_tier: 'TIER_1K' });
  });
});
