import { describe, expect, it } from 'vitest';
import type { ConsentState, OutboundContent, TemplateRecord } from './outbound.ts';
import {
  MESSAGING_TIERS,
  checkSendPolicy,
  isBusinessInitiated,
  type SendPolicyInput,
} from './send-policy.ts';

const now = new Date('2025-03-10T12:00:00.000Z');
const open = new Date('2025-03-10T20:00:00.000Z');
const closed = new Date('2025-03-09T08:00:00.000Z');
const consented: ConsentState = { marketing: 'unknown', all: 'unknown' };
const text: OutboundContent = { type: 'text', body: 'Hi' };
const templateContent: OutboundContent = { type: 'template', template: { name: 'promo', language: 'en_US' } };
const record = (category: string): TemplateRecord => ({
  name: 'promo',
  language: 'en_US',
  category,
  status: 'APPROVED',
  parameterFormat: 'positional',
  components: [{ type: 'BODY', text: 'Hi' }],
});

const input = (over: Partial<SendPolicyInput> = {}): SendPolicyInput => ({
  content: text,
  now,
  windowEndsAt: open,
  consent: consented,
  template: null,
  tier: { limit: 250, recipientsLast24h: 0, recipientCountedAlready: false },
  ...over,
});

describe('MESSAGING_TIERS', () => {
  it('lists Meta’s limits, unlimited last', () => {
    expect(MESSAGING_TIERS).toEqual([250, 2000, 10000, 100000, null]);
  });
});

describe('checkSendPolicy: customer care window', () => {
  it('allows anything inside the window', () => {
    expect(checkSendPolicy(input())).toBeNull();
  });

  it('says when the window closed and that a template is needed', () => {
    expect(checkSendPolicy(input({ windowEndsAt: closed }))).toEqual({
      code: 'window_closed',
      field: 'content.type',
      message:
        "The customer care window closed at 2025-03-09T08:00:00.000Z (24 hours after the customer's last message); " +
        'a text message cannot be sent now, only an approved template until the customer writes again',
      details: { windowClosedAt: '2025-03-09T08:00:00.000Z' },
    });
  });

  it('says when the customer never wrote', () => {
    const violation = checkSendPolicy(input({ windowEndsAt: null }));
    expect(violation).toMatchObject({ code: 'window_closed', details: { windowClosedAt: null } });
    expect(violation?.message).toContain('never written');
    expect(violation?.message).toContain('template');
  });

  it('treats the end instant as closed', () => {
    expect(checkSendPolicy(input({ windowEndsAt: now }))?.code).toBe('window_closed');
  });

  it.each<OutboundContent>([
    { type: 'image', media: { id: '1' } },
    {
      type: 'interactive',
      interactive: { type: 'cta_url', body: 'b', displayText: 'd', url: 'https://x.test' },
    },
    { type: 'reaction', targetWamid: 'wamid.A', emoji: '👍' },
  ])('refuses $type outside the window', (content) => {
    expect(checkSendPolicy(input({ content, windowEndsAt: closed }))?.code).toBe('window_closed');
  });

  it('allows a template outside the window', () => {
    expect(
      checkSendPolicy(input({ content: templateContent, windowEndsAt: closed, template: record('UTILITY') })),
    ).toBeNull();
  });
});

describe('checkSendPolicy: consent', () => {
  const optedOut = (scope: keyof ConsentState): ConsentState => ({ ...consented, [scope]: 'opted_out' });

  it('an "all" opt-out blocks business-initiated templates but not replies inside the window', () => {
    expect(
      checkSendPolicy(
        input({
          content: templateContent,
          windowEndsAt: closed,
          template: record('UTILITY'),
          consent: optedOut('all'),
        }),
      ),
    ).toMatchObject({ code: 'recipient_opted_out', details: { scope: 'all' } });
    expect(checkSendPolicy(input({ consent: optedOut('all') }))).toBeNull();
    expect(
      checkSendPolicy(
        input({ content: templateContent, template: record('UTILITY'), consent: optedOut('all') }),
      ),
    ).toBeNull();
  });

  it('a marketing opt-out blocks MARKETING templates, even inside the window', () => {
    expect(
      checkSendPolicy(
        input({ content: templateContent, template: record('MARKETING'), consent: optedOut('marketing') }),
      ),
    ).toMatchObject({
      code: 'recipient_opted_out',
      details: { scope: 'marketing' },
    });
    expect(
      checkSendPolicy(
        input({ content: templateContent, template: record('UTILITY'), consent: optedOut('marketing') }),
      ),
    ).toBeNull();
    expect(checkSendPolicy(input({ consent: optedOut('marketing') }))).toBeNull();
  });

  it('an "all" opt-out also blocks MARKETING templates inside the window', () => {
    expect(
      checkSendPolicy(
        input({ content: templateContent, template: record('MARKETING'), consent: optedOut('all') }),
      )?.code,
    ).toBe('recipient_opted_out');
  });

  it('templateCategory overrides the record’s category', () => {
    expect(
      checkSendPolicy(
        input({
          content: templateContent,
          template: record('UTILITY'),
          templateCategory: 'marketing',
          consent: optedOut('marketing'),
        }),
      )?.code,
    ).toBe('recipient_opted_out');
  });
});

describe('checkSendPolicy: messaging tier', () => {
  const businessInitiated = (tier: SendPolicyInput['tier']) =>
    checkSendPolicy(
      input({ content: templateContent, windowEndsAt: closed, template: record('UTILITY'), tier }),
    );

  it('refuses a new recipient once the limit is used', () => {
    expect(
      businessInitiated({ limit: 250, recipientsLast24h: 250, recipientCountedAlready: false }),
    ).toMatchObject({
      code: 'messaging_tier_limit',
      details: { limit: 250, used: 250 },
    });
  });

  it('allows the last free slot, a recipient already counted, and unlimited numbers', () => {
    expect(
      businessInitiated({ limit: 250, recipientsLast24h: 249, recipientCountedAlready: false }),
    ).toBeNull();
    expect(
      businessInitiated({ limit: 250, recipientsLast24h: 250, recipientCountedAlready: true }),
    ).toBeNull();
    expect(
      businessInitiated({ limit: null, recipientsLast24h: 10 ** 7, recipientCountedAlready: false }),
    ).toBeNull();
  });

  it('does not count templates inside the window', () => {
    const tier = { limit: 250, recipientsLast24h: 250, recipientCountedAlready: false };
    expect(
      checkSendPolicy(input({ content: templateContent, template: record('UTILITY'), tier })),
    ).toBeNull();
  });

  it('checks consent before the tier', () => {
    expect(
      checkSendPolicy(
        input({
          content: templateContent,
          windowEndsAt: closed,
          template: record('UTILITY'),
          consent: { marketing: 'unknown', all: 'opted_out' },
          tier: { limit: 250, recipientsLast24h: 250, recipientCountedAlready: false },
        }),
      )?.code,
    ).toBe('recipient_opted_out');
  });

  it('isBusinessInitiated: a template with the window closed', () => {
    expect(isBusinessInitiated(templateContent, now, closed)).toBe(true);
    expect(isBusinessInitiated(templateContent, now, null)).toBe(true);
    expect(isBusinessInitiated(templateContent, now, open)).toBe(false);
    expect(isBusinessInitiated(text, now, closed)).toBe(false);
  });
});

describe('checkSendPolicy: reactions', () => {
  const reaction: OutboundContent = { type: 'reaction', targetWamid: 'wamid.A', emoji: '👍' };
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);

  it('allows a reaction to a message up to 30 days old', () => {
    expect(checkSendPolicy(input({ content: reaction, reactionTargetAt: daysAgo(30) }))).toBeNull();
    expect(checkSendPolicy(input({ content: reaction, reactionTargetAt: null }))).toBeNull();
  });

  it('refuses a reaction to an older message', () => {
    expect(
      checkSendPolicy(input({ content: reaction, reactionTargetAt: new Date(daysAgo(30).getTime() - 1) })),
    ).toMatchObject({
      code: 'reaction_target_too_old',
      field: 'content.targetWamid',
      details: { maxAgeDays: 30 },
    });
  });

  it('reports the closed window first', () => {
    expect(
      checkSendPolicy(input({ content: reaction, windowEndsAt: closed, reactionTargetAt: daysAgo(40) }))
        ?.code,
    ).toBe('window_closed');
  });
});
