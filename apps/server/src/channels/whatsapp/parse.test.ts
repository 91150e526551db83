import { describe, it, expect, vi } from 'vitest';
import {
  MalformedDeliveryError,
  type InboundEvent,
  type InboundEventKind,
  type MessageContent,
} from '../../domain/inbound-event.ts';
import {
  FIXTURE_EXPECTATIONS,
  OWN_FIXTURES_DIR,
  SHARED_FIXTURES_DIR,
  loadWebhookFixtures,
  loadWebhookFixturesFrom,
  phoneNumberIdsOf,
  withFreshIds,
} from '../../../test/support/fixtures.ts';
import { parseWebhookDelivery } from './parse.ts';
import fs from 'node:fs';

const RECEIVED_AT = new Date('2025-06-09T12:00:00Z');
const fixtures = loadWebhookFixtures();
const byName = new Map(fixtures.map((f) => [f.name, f]));

type Of<K extends InboundEventKind> = Extract<InboundEvent, { kind: K }>;

function parseFixture(name: string): InboundEvent[] {
  const fixture = byName.get(name);
  if (!fixture) throw new Error(`no fixture ${name}`);
  return parseWebhookDelivery(fixture.json, RECEIVED_AT);
}

/** The single event of a kind in a delivery (fails the test when there is not exactly one). */
function one<K extends InboundEventKind>(events: InboundEvent[], kind: K): Of<K> {
  const found = events.filter((e): e is Of<K> => e.kind === kind);
  expect(found, `${kind} events`).toHaveLength(1);
  return found[0] as Of<K>;
}

/** The content variant whose `type` admits T (media types share one variant). */
type ContentOf<T extends MessageContent['type'], C = MessageContent> = C extends { type: infer U }
  ? T extends U
    ? C
    : never
  : never;

function content<T extends MessageContent['type']>(event: Of<'message'>, type: T): ContentOf<T> {
  expect(event.content.type).toBe(type);
  return event.content as ContentOf<T>;
}

/** A `messages` delivery with the given message objects and one contact. */
function messagesDelivery(messages: unknown[], extra: Record<string, unknown> = {}): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
              contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
              messages,
              ...extra,
            },
          },
        ],
      },
    ],
  };
}

describe('every fixture parses to its expected kinds', () => {
  it('loads own fixtures (and shared ones when present)', () => {
    expect(fixtures.filter((f) => f.source === 'own').length).toBeGreaterThanOrEqual(40);
    if (fs.existsSync(SHARED_FIXTURES_DIR))
      expect(fixtures.filter((f) => f.source === 'shared')).toHaveLength(25);
  });

  it('has no stale expectation (every own entry of the table names a file)', () => {
    const stale = Object.keys(FIXTURE_EXPECTATIONS).filter(
      (name) => !byName.has(name) && (!name.includes('/') || fs.existsSync(SHARED_FIXTURES_DIR)),
    );
    expect(stale).toEqual([]);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
    if (fixture.expectedKinds === 'invalid-json') {
      expect(fixture.json).toBeUndefined();
      expect(() => JSON.parse(fixture.body.toString('utf8'))).toThrow(SyntaxError);
      return;
    }
    const events = parseWebhookDelivery(fixture.json, RECEIVED_AT);
    expect(events.map((e) => e.kind)).toEqual(fixture.expectedKinds);
    const contentTypes = events.flatMap((e) => (e.kind === 'message' ? [e.content.type] : []));
    expect(contentTypes).toEqual(fixture.expectedContentTypes);
    for (const e of events) expect(Number.isNaN(e.occurredAt.getTime())).toBe(false);
  });

  it('reads the one shared invalid-JSON payload as invalid', () => {
    const read = byName.get('bindambc-whatsapp-business-java-api/textMessageStatusRead.json');
    if (!read) return; // fresh clone without shared/
    expect(read.expectedKinds).toBe('invalid-json');
    expect(() => JSON.parse(read.body.toString('utf8'))).toThrow(SyntaxError);
  });
});

describe('messages', () => {
  it('maps a text message with business, customer, wamid and time', () => {
    const m = one(parseFixture('message-text.json'), 'message');
    expect(m.business).toEqual({
      wabaId: '102290129340398',
      phoneNumberId: '106540352242922',
      displayPhoneNumber: '15550783881',
    });
    expect(m.customer).toEqual({
      waId: '16505551234',
      userId: null,
      parentUserId: null,
      profileName: 'Sheena Nelson',
      username: null,
    });
    expect(m.wamid).toMatch(/^wamid\.HBgL/);
    expect(m.occurredAt.getTime()).toBeGreaterThan(Date.UTC(2025, 5, 1));
    expect(m.occurredAt.getTime() % 1000).toBe(0);
    expect(content(m, 'text').body).toBe('Does it come in another color?');
    expect(m.context).toBeNull();
    expect(m.referral).toBeNull();
    expect(m.errors).toEqual([]);
  });

  it('keeps business-scoped user ids, parent id and username', () => {
    const m = one(parseFixture('message-with-user-id.json'), 'message');
    expect(m.customer).toEqual({
      waId: '16505551234',
      userId: 'US.13491208655302741918',
      parentUserId: 'US.ENT.11815799212886844830',
      profileName: 'Sheena Nelson',
      username: '@sheena.n',
    });
  });

  it('addresses a username user without phone number by BSUID', () => {
    const events = parseWebhookDelivery(
      messagesDelivery(
        [
          {
            from_user_id: 'US.1349',
            id: 'wamid.X2',
            timestamp: '1749416383',
            type: 'text',
            text: { body: 'hi' },
          },
        ],
        { contacts: [{ profile: { name: 'N', username: '@n' }, user_id: 'US.1349' }] },
      ),
    );
    expect(one(events, 'message').customer).toEqual({
      waId: 'US.1349',
      userId: 'US.1349',
      parentUserId: null,
      profileName: 'N',
      username: '@n',
    });
  });

  it("takes the single contact's wa_id when `from` names another number (shared textMessage2)", () => {
    const events = parseWebhookDelivery(
      messagesDelivery([
        {
          from: '106540352242922',
          id: 'wamid.Y',
          timestamp: '1749416383',
          type: 'text',
          text: { body: 'hi' },
        },
      ]),
    );
    expect(one(events, 'message').customer).toMatchObject({
      waId: '16505551234',
      profileName: 'Sheena Nelson',
    });
  });

  it('matches each message of a batch to its own contact', () => {
    const events = parseFixture('batch-mixed.json');
    const messages = events.filter((e): e is Of<'message'> => e.kind === 'message');
    expect(messages.map((m) => [m.customer.waId, m.customer.profileName])).toEqual([
      ['16505551234', 'Sheena Nelson'],
      ['16505559876', 'Luis Ortega'],
      ['16505551234', 'Sheena Nelson'],
    ]);
    expect(
      events.filter((e) => e.kind === 'status').map((e) => (e.kind === 'status' ? e.status : null)),
    ).toEqual(['delivered', 'read']);
  });

  it('maps media: image url, voice note, document file name, animated sticker', () => {
    const image = content(one(parseFixture('message-image.json'), 'message'), 'image');
    expect(image.media).toEqual({
      id: '1003383421387256',
      mimeType: 'image/jpeg',
      sha256: 'n9mKHi6yL8vR3SKRWOOk1Hg7DTMyFNYzQNyd1pQBuQQ=',
      caption: 'This is the one I want',
      fileName: null,
      url: expect.stringContaining('mid=1003383421387256') as unknown,
    });
    const audio = content(one(parseFixture('message-audio-voice.json'), 'message'), 'audio');
    expect(audio.media).toMatchObject({
      id: '1263917438311498',
      mimeType: 'audio/ogg; codecs=opus',
      voice: true,
    });
    const doc = content(one(parseFixture('message-document.json'), 'message'), 'document');
    expect(doc.media).toMatchObject({ fileName: 'receipt-2025-06-08.pdf', caption: 'My receipt' });
    const sticker = content(one(parseFixture('message-sticker.json'), 'message'), 'sticker');
    expect(sticker.media.animated).toBe(true);
    expect(sticker.media.voice).toBeUndefined();
  });

  it('maps location, shared contacts and order', () => {
    expect(one(parseFixture('message-location.json'), 'message').content).toEqual({
      type: 'location',
      latitude: 37.44216251868683,
      longitude: -122.16153582049394,
      name: 'Philz Coffee',
      address: '101 Forest Ave, Palo Alto, CA 94301',
      url: 'https://www.philzcoffee.com/',
    });
    const shared = content(one(parseFixture('message-contacts.json'), 'message'), 'contacts').contacts;
    expect(shared).toHaveLength(1);
    expect(shared[0]).toMatchObject({
      name: { formatted_name: 'Dr. Barbara J. Johnson', first_name: 'Barbara', middle_name: 'Joana' },
      phones: [
        { phone: '+1 (940) 555-1234', wa_id: '19405551234', type: 'HOME' },
        { phone: '+1 (650) 555-1234', type: 'WORK' },
      ],
      emails: [{ email: 'bjohnson@whatsapp.com', type: 'WORK' }],
      org: { company: 'WhatsApp' },
      birthday: '1999-01-23',
    });
    expect(one(parseFixture('message-order.json'), 'message').content).toEqual({
      type: 'order',
      catalogId: '194836987003835',
      text: 'Please deliver before Friday',
      items: [
        { productRetailerId: 'di9ozbzfi4', quantity: 2, itemPrice: 30, currency: 'USD' },
        { productRetailerId: 'nqryix03ez', quantity: 1, itemPrice: 11.75, currency: 'USD' },
      ],
    });
  });

  it('maps interactive replies and template quick-reply buttons', () => {
    const button = content(
      one(parseFixture('message-interactive-button-reply.json'), 'message'),
      'interactive',
    );
    expect(button.reply).toEqual({ kind: 'button_reply', id: 'change-button', title: 'Change' });
    const list = content(one(parseFixture('message-interactive-list-reply.json'), 'message'), 'interactive');
    expect(list.reply).toEqual({
      kind: 'list_reply',
      id: 'priority_express',
      title: 'Express Shipping',
      description: 'Next Day to 2 Days',
    });
    const nfm = content(one(parseFixture('message-interactive-nfm-reply.json'), 'message'), 'interactive');
    expect(nfm.reply).toEqual({
      kind: 'nfm_reply',
      name: 'flow',
      body: 'Sent',
      responseJson: {
        flow_token: 'AQAAAAACS5FpgQ_cAAAAAD0QI3s.',
        appointment_date: '2025-06-12',
        department: 'beauty',
      },
    });
    const quick = one(parseFixture('message-button.json'), 'message');
    expect(quick.content).toEqual({ type: 'button', text: 'Stop promotions', payload: 'STOP_PROMOTIONS' });
    expect(quick.context?.from).toBe('15550783881');
  });

  it('maps reactions, and an absent or empty emoji as removal', () => {
    const reaction = content(one(parseFixture('message-reaction.json'), 'message'), 'reaction');
    expect(reaction.emoji).toBe('\u{1F44D}');
    expect(reaction.targetWamid).toMatch(/^wamid\./);
    const removed = content(one(parseFixture('message-reaction-removed.json'), 'message'), 'reaction');
    expect(removed).toEqual({ type: 'reaction', targetWamid: reaction.targetWamid, emoji: null });
    const empty = parseWebhookDelivery(
      messagesDelivery([
        {
          from: '16505551234',
          id: 'wamid.R',
          timestamp: '1',
          type: 'reaction',
          reaction: { message_id: 'wamid.T', emoji: '' },
        },
      ]),
    );
    expect(one(empty, 'message').content).toEqual({ type: 'reaction', targetWamid: 'wamid.T', emoji: null });
  });

  it('maps system number changes (no contacts array) and identity changes', () => {
    const m = one(parseFixture('message-system.json'), 'message');
    expect(m.customer.waId).toBe('16505551234');
    expect(m.customer.profileName).toBeNull();
    expect(m.content).toEqual({
      type: 'system',
      body: 'User Sheena Nelson changed from 16505551234 to 16505550000',
      systemType: 'customer_changed_number',
      newWaId: '16505550000',
      customer: null,
      newUserId: null,
    });
    const identity = parseWebhookDelivery(
      messagesDelivery([
        {
          from: '16505551234',
          id: 'wamid.S',
          timestamp: '1749416383',
          type: 'system',
          system: {
            body: 'Security code changed',
            identity: 'abc',
            customer: '16505551234',
            type: 'customer_identity_changed',
          },
        },
      ]),
    );
    expect(one(identity, 'message').content).toMatchObject({
      systemType: 'customer_identity_changed',
      customer: '16505551234',
      newWaId: null,
    });
  });

  it('keeps the click-to-WhatsApp referral', () => {
    const m = one(parseFixture('message-referral.json'), 'message');
    expect(m.referral).toMatchObject({
      sourceUrl: 'https://fb.me/3cr4Wqqkv',
      sourceId: '120226305854810726',
      sourceType: 'ad',
      headline: 'Chat with us',
      body: 'Summer sale: 30% off all patio furniture',
      mediaType: 'image',
      ctwaClid: expect.stringMatching(/^ARAkLkA8/) as unknown,
    });
    expect(m.referral?.raw['welcome_message']).toEqual({ text: 'Hi there! Let us know how we can help.' });
    expect(m.referral?.raw['image_url']).toMatch(/^https:/);
  });

  it('maps reply context, forwarded flags and referred products', () => {
    const reply = one(parseFixture('message-context-reply.json'), 'message');
    expect(reply.context).toEqual({
      wamid: expect.stringMatching(/^wamid\./) as unknown,
      from: '15550783881',
      forwarded: false,
      frequentlyForwarded: false,
      referredProduct: null,
    });
    const forwarded = one(parseFixture('message-forwarded.json'), 'message');
    expect(forwarded.context).toEqual({
      wamid: null,
      from: null,
      forwarded: true,
      frequentlyForwarded: true,
      referredProduct: null,
    });
    const enquiry = parseWebhookDelivery(
      messagesDelivery([
        {
          from: '16505551234',
          id: 'wamid.P',
          timestamp: '1749416383',
          type: 'text',
          text: { body: 'Is this in stock?' },
          context: {
            from: '15550783881',
            id: 'wamid.CATALOG',
            referred_product: { catalog_id: '194836987003835', product_retailer_id: 'di9ozbzfi4' },
          },
        },
      ]),
    );
    expect(one(enquiry, 'message').context?.referredProduct).toEqual({
      catalogId: '194836987003835',
      productRetailerId: 'di9ozbzfi4',
    });
  });

  it("keeps Meta's unsupported messages with their errors", () => {
    const m = one(parseFixture('message-unsupported.json'), 'message');
    const c = content(m, 'unsupported');
    expect(c.originalType).toBe('poll_creation');
    const expectedError = {
      code: 131051,
      title: 'Message type unknown',
      message: 'Message type unknown',
      details: 'Message type is currently not supported.',
      href: null,
    };
    expect(c.errors).toEqual([expectedError]);
    expect(m.errors).toEqual([expectedError]);
    expect(c.raw).toMatchObject({ type: 'unsupported' });
  });

  it('turns an unknown type into unsupported with the raw message', () => {
    const m = one(parseFixture('message-unknown-type.json'), 'message');
    const c = content(m, 'unsupported');
    expect(c.originalType).toBe('hologram');
    expect(c.errors).toEqual([]);
    expect(c.raw).toMatchObject({ type: 'hologram', hologram: { projection_id: '77120391' } });
  });

  it('maps edits (with the new content) and revokes', () => {
    const edit = content(one(parseFixture('message-edit.json'), 'message'), 'edit');
    expect(edit.targetWamid).toMatch(/^wamid\./);
    expect(edit.newContent).toEqual({ type: 'text', body: 'Does it come in another colour, like navy?' });
    const revoke = content(one(parseFixture('message-revoke.json'), 'message'), 'revoke');
    expect(revoke.targetWamid).toMatch(/^wamid\./);
    expect(revoke.targetWamid).not.toBe(edit.targetWamid);
    const captionEdit = parseWebhookDelivery(
      messagesDelivery([
        {
          from: '16505551234',
          id: 'wamid.E2',
          timestamp: '1749416383',
          type: 'edit',
          edit: {
            original_message_id: 'wamid.ORIG',
            message: {
              context: { id: 'wamid.QUOTED', from: '15550783881' },
              image: { id: '42', caption: 'new' },
            },
          },
        },
      ]),
    );
    const m = one(captionEdit, 'message');
    expect(content(m, 'edit').newContent).toMatchObject({
      type: 'image',
      media: { id: '42', caption: 'new' },
    });
    expect(m.context?.wamid).toBe('wamid.QUOTED');
  });

  it('keeps the other messages of a delivery when one is malformed', () => {
    const events = parseWebhookDelivery(
      messagesDelivery([
        {
          from: '16505551234',
          id: 'wamid.BAD',
          timestamp: '1749416383',
          type: 'image',
          image: { caption: 42 },
        },
        {
          from: '16505551234',
          id: 'wamid.GOOD',
          timestamp: '1749416390',
          type: 'text',
          text: { body: 'still here' },
        },
        { from: '16505551234', timestamp: '1749416391', type: 'text', text: { body: 'no id' } },
      ]),
      RECEIVED_AT,
    );
    expect(events.map((e) => e.kind)).toEqual(['message', 'message', 'unknown_change']);
    const [bad, good] = events.filter((e): e is Of<'message'> => e.kind === 'message');
    expect(bad?.wamid).toBe('wamid.BAD');
    expect(bad?.content).toEqual({
      type: 'unsupported',
      originalType: 'image',
      errors: [],
      raw: {
        from: '16505551234',
        id: 'wamid.BAD',
        timestamp: '1749416383',
        type: 'image',
        image: { caption: 42 },
      },
    });
    expect(good?.content).toEqual({ type: 'text', body: 'still here' });
    expect(events[2]).toMatchObject({
      kind: 'unknown_change',
      field: 'messages',
      raw: { text: { body: 'no id' } },
    });
  });
});

describe('statuses', () => {
  it('maps PMP pricing without a conversation, with callback data and recipient user id', () => {
    const s = one(parseFixture('status-sent-pmp.json'), 'status');
    expect(s).toMatchObject({
      status: 'sent',
      recipientId: '16505551234',
      recipientUserId: 'US.13491208655302741918',
      bizOpaqueCallbackData: 'campaign=summer-2025;recipient=8812',
      pricing: { model: 'PMP', billable: true, category: 'marketing', type: 'regular' },
      conversation: null,
      errors: [],
    });
    expect(s.wamid).toMatch(/^wamid\./);
  });

  it('maps CBP pricing with its conversation', () => {
    const s = one(parseFixture('status-delivered-cbp.json'), 'status');
    expect(s.status).toBe('delivered');
    expect(s.pricing).toEqual({ model: 'CBP', billable: true, category: 'utility', type: null });
    expect(s.conversation).toEqual({
      id: 'd9f3a5c1e0b2470a8c6f21e4b7a9d350',
      originType: 'utility',
      expiresAt: new Date(1749502800 * 1000),
    });
    expect(s.recipientUserId).toBeNull();
  });

  it('maps read and played', () => {
    expect(one(parseFixture('status-read.json'), 'status')).toMatchObject({
      status: 'read',
      pricing: { model: 'PMP', billable: false, category: 'service', type: 'free_customer_service' },
    });
    expect(one(parseFixture('status-played.json'), 'status')).toMatchObject({
      status: 'played',
      pricing: null,
    });
  });

  it('maps failed statuses with full errors', () => {
    const s = one(parseFixture('status-failed.json'), 'status');
    expect(s.status).toBe('failed');
    expect(s.errors).toEqual([
      {
        code: 131047,
        title: 'Re-engagement message',
        message: 'Re-engagement message',
        details:
          'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
        href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
      },
    ]);
  });

  it('reports an unknown status value as unknown_change instead of throwing', () => {
    const e = one(parseFixture('status-unknown-value.json'), 'unknown_change');
    expect(e.field).toBe('messages.statuses');
    expect(e.wabaId).toBe('102290129340398');
    expect(e.raw).toMatchObject({ status: 'captured', type: 'payment' });
  });
});

describe('business errors and management fields', () => {
  it('maps value.errors to business_error', () => {
    const e = one(parseFixture('errors.json'), 'business_error');
    expect(e.business.phoneNumberId).toBe('106540352242922');
    expect(e.errors).toEqual([
      {
        code: 130429,
        title: 'Rate limit hit',
        message: 'Rate limit hit',
        details: 'Cloud API message throughput has been reached.',
        href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
      },
    ]);
    expect(e.occurredAt).toEqual(RECEIVED_AT); // no entry.time: the fallback
  });

  it('maps template status, quality and category updates with entry.time', () => {
    const status = one(parseFixture('template-status-update.json'), 'template_status');
    expect(status).toMatchObject({
      wabaId: '102290129340398',
      templateId: '806312974732579',
      templateName: 'order_confirmation',
      language: 'en_US',
      status: 'APPROVED',
      reason: 'NONE',
      occurredAt: new Date(1749420000 * 1000),
    });
    expect(status.raw['message_template_category']).toBe('UTILITY');
    expect(one(parseFixture('template-quality-update.json'), 'template_quality')).toMatchObject({
      previousScore: 'GREEN',
      newScore: 'YELLOW',
      templateId: '806312974732579',
    });
    expect(one(parseFixture('template-category-update.json'), 'template_category')).toMatchObject({
      templateName: 'summer_welcome',
      previousCategory: 'UTILITY',
      newCategory: 'MARKETING',
      impending: false,
      effectiveAt: null,
    });
  });

  it('reads an impending category change the right way round', () => {
    const events = parseWebhookDelivery({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          time: 1749420000,
          changes: [
            {
              field: 'template_category_update',
              value: {
                message_template_id: 278077376596457,
                message_template_name: 'summer_welcome',
                message_template_language: 'en_US',
                correct_category: 'MARKETING',
                new_category: 'UTILITY',
                category_update_timestamp: 1751328000,
              },
            },
          ],
        },
      ],
    });
    expect(one(events, 'template_category')).toMatchObject({
      previousCategory: 'UTILITY',
      newCategory: 'MARKETING',
      impending: true,
      effectiveAt: new Date(1751328000 * 1000),
    });
  });

  it('maps account updates, reviews and alerts to account_update', () => {
    expect(one(parseFixture('account-update.json'), 'account_update')).toMatchObject({
      field: 'account_update',
      event: 'ACCOUNT_VIOLATION',
      phoneNumber: '15550783881',
    });
    expect(one(parseFixture('account-alerts.json'), 'account_update')).toMatchObject({
      field: 'account_alerts',
      event: 'PROFILE_PICTURE_LOST',
      phoneNumber: null,
      raw: { entity_type: 'PHONE_NUMBER', entity_id: '106540352242922' },
    });
    const review = 'bindambc-whatsapp-business-java-api/accountReview.json';
    if (byName.has(review)) {
      expect(one(parseFixture(review), 'account_update')).toMatchObject({
        field: 'account_review_update',
        event: 'APPROVED',
      });
    }
  });

  it('maps phone number quality and name updates', () => {
    expect(one(parseFixture('phone-number-quality-update.json'), 'phone_number_quality')).toMatchObject({
      displayPhoneNumber: '15550783881',
      event: 'DOWNGRADE',
      currentLimit: 'TIER_1K',
    });
    expect(one(parseFixture('phone-number-name-update.json'), 'phone_number_name')).toMatchObject({
      decision: 'REJECTED',
      requestedVerifiedName: 'Lucky Shrub Garden Supplies',
      rejectionReason: 'NAME_FORMAT_UNACCEPTABLE',
    });
  });

  it('maps user preferences with the customer and the item timestamp', () => {
    const p = one(parseFixture('user-preferences.json'), 'user_preference');
    expect(p).toEqual({
      kind: 'user_preference',
      business: {
        wabaId: '102290129340398',
        phoneNumberId: '106540352242922',
        displayPhoneNumber: '15550783881',
      },
      customer: {
        waId: '16505551234',
        userId: null,
        parentUserId: null,
        profileName: 'Sheena Nelson',
        username: null,
      },
      category: 'marketing_messages',
      value: 'stop',
      detail: 'User requested to stop marketing messages',
      occurredAt: new Date(1749419000 * 1000),
    });
  });

  it('keeps any other field as unknown_change with its raw value', () => {
    const e = one(parseFixture('unknown-field.json'), 'unknown_change');
    expect(e).toMatchObject({ field: 'security', wabaId: '102290129340398', raw: { event: 'PIN_CHANGED' } });
  });

  it('reports unmodelled arrays of a messages value and values of the wrong shape', () => {
    const events = parseWebhookDelivery(
      messagesDelivery([], { user_actions: [{ action_type: 'marketing_messages_link_click' }] }),
      RECEIVED_AT,
    );
    expect(one(events, 'unknown_change')).toMatchObject({ field: 'messages.user_actions' });
    const wrong = parseWebhookDelivery({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', time: 1749420000, changes: [{ field: 'phone_number_name_update', value: 'nope' }] }],
    });
    expect(one(wrong, 'unknown_change')).toMatchObject({ field: 'phone_number_name_update', raw: 'nope' });
  });
});

describe('envelope and timestamps', () => {
  it('throws MalformedDeliveryError for bodies that are not WhatsApp Business Account deliveries', () => {
    expect(() => parseWebhookDelivery({ object: 'page', entry: [] })).toThrow(MalformedDeliveryError);
    expect(() => parseWebhookDelivery({ object: 'whatsapp_business_account' })).toThrow(
      MalformedDeliveryError,
    );
    expect(() => parseWebhookDelivery({ object: 'whatsapp_business_account', entry: {} })).toThrow(
      MalformedDeliveryError,
    );
    for (const body of [null, undefined, 'text', 42, []]) {
      expect(() => parseWebhookDelivery(body)).toThrow(MalformedDeliveryError);
    }
    expect(() => parseWebhookDelivery({ object: 'instagram', entry: [] })).toThrow(/instagram/);
  });

  it('reports entries without an id instead of dropping them', () => {
    const events = parseWebhookDelivery(
      { object: 'whatsapp_business_account', entry: [{ changes: [] }, 'x'] },
      RECEIVED_AT,
    );
    expect(events).toEqual([
      { kind: 'unknown_change', wabaId: null, field: 'entry', occurredAt: RECEIVED_AT, raw: { changes: [] } },
      { kind: 'unknown_change', wabaId: null, field: 'entry', occurredAt: RECEIVED_AT, raw: 'x' },
    ]);
  });

  it('reads seconds as strings or numbers, milliseconds, and falls back to entry.time then receivedAt', () => {
    const msgAt = (timestamp: unknown, time?: number) =>
      one(
        parseWebhookDelivery(
          {
            object: 'whatsapp_business_account',
            entry: [
              {
                id: '1',
                ...(time === undefined ? {} : { time }),
                changes: [
                  {
                    field: 'messages',
                    value: {
                      contacts: [{ wa_id: '16505551234' }],
                      messages: [
                        { from: '16505551234', id: 'wamid.T', timestamp, type: 'text', text: { body: 'x' } },
                      ],
                    },
                  },
                ],
              },
            ],
          },
          RECEIVED_AT,
        ),
        'message',
      ).occurredAt;
    expect(msgAt('1749416383')).toEqual(new Date(1749416383000));
    expect(msgAt(1749416383)).toEqual(new Date(1749416383000));
    expect(msgAt(1749416383123)).toEqual(new Date(1749416383123));
    expect(msgAt('not a time', 1749420000)).toEqual(new Date(1749420000000));
    expect(msgAt(undefined)).toEqual(RECEIVED_AT);
  });
});

describe('fixture helpers', () => {
  it('withFreshIds gives new unique ids and keeps references consistent', () => {
    const batch = byName.get('batch-mixed.json')?.json;
    const a = withFreshIds(batch, 'a');
    const b = withFreshIds(batch, 'b');
    const idsOf = (json: unknown) => {
      const events = parseWebhookDelivery(json, RECEIVED_AT);
      return events.map((e) => (e.kind === 'message' || e.kind === 'status' ? e.wamid : ''));
    };
    const original = idsOf(batch);
    const [freshA, freshB] = [idsOf(a), idsOf(b)];
    expect(new Set([...original, ...freshA, ...freshB]).size).toBe(15);
    expect(freshA.every((id) => id.startsWith('wamid.'))).toBe(true);
    // the reaction in the batch and the delivered status point at the same business message
    const reaction = parseWebhookDelivery(a, RECEIVED_AT).find(
      (e) => e.kind === 'message' && e.content.type === 'reaction',
    );
    const delivered = parseWebhookDelivery(a, RECEIVED_AT).find(
      (e) => e.kind === 'status' && e.status === 'delivered',
    );
    expect(
      reaction?.kind === 'message' && reaction.content.type === 'reaction' && reaction.content.targetWamid,
    ).toBe(delivered?.kind === 'status' && delivered.wamid);
    expect(withFreshIds(batch, 'a')).toEqual(a);
    expect(batch).toEqual(byName.get('batch-mixed.json')?.json); // the input is not modified
  });

  it('returns own fixtures only, with one warning, when the shared folder is absent', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const missing = `${SHARED_FIXTURES_DIR}-absent`;
      const first = loadWebhookFixturesFrom(OWN_FIXTURES_DIR, missing);
      loadWebhookFixturesFrom(OWN_FIXTURES_DIR, missing);
      expect(first.length).toBeGreaterThanOrEqual(40);
      expect(first.every((f) => f.source === 'own')).toBe(true);
      // once per process: an earlier load on a fresh clone may already have warned
      expect(warn.mock.calls.length).toBeLessThanOrEqual(1);
      if (fs.existsSync(SHARED_FIXTURES_DIR)) expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });

  it('phoneNumberIdsOf lists the business numbers of a delivery', () => {
    expect(phoneNumberIdsOf(byName.get('batch-mixed.json')?.json)).toEqual(['106540352242922']);
    expect(phoneNumberIdsOf(byName.get('template-status-update.json')?.json)).toEqual([]);
    expect(phoneNumberIdsOf('not a delivery')).toEqual([]);
  });
});
