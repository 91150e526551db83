/**
 * WhatsApp's send policy, checked before a message is queued: the customer care window, consent,
 * the messaging tier, and reactions Meta would refuse. Pure: the caller looks the facts up.
 */
import type { ConsentState, OutboundContent, PolicyViolation, TemplateRecord } from './outbound.ts';
import { isWindowOpen } from './session.ts';

/**
 * Meta's messaging limits: unique customers a business portfolio may reach outside the care window
 * per rolling 24 h, from 250 for new portfolios up to unlimited (null).
 */
export const MESSAGING_TIERS: readonly (number | null)[] = [250, 2000, 10000, 100000, null];

/** Meta refuses reactions to messages more than 30 days old. */
export const REACTION_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

export interface SendPolicyInput {
  content: OutboundContent;
  now: Date;
  /** end of the customer care window; null when the customer never wrote */
  windowEndsAt: Date | null;
  consent: ConsentState;
  template: TemplateRecord | null;
  /** overrides template.category (MARKETING | UTILITY | AUTHENTICATION) */
  templateCategory?: string | null;
  tier: {
    /** null = unlimited */
    limit: number | null;
    /** unique customers reached by business-initiated messages in the last 24 h */
    recipientsLast24h: number;
    /** this customer is already among them, so sending again uses no more of the limit */
    recipientCountedAlready: boolean;
  };
  /** when the message being reacted to was sent or received */
  reactionTargetAt?: Date | null;
}

/**
 * A template sent while the window is closed starts the conversation: it is what Meta counts
 * against the messaging tier and what an "all" opt-out forbids.
 */
export function isBusinessInitiated(content: OutboundContent, now: Date, windowEndsAt: Date | null): boolean {
  return content.type === 'template' && !isWindowOpen(windowEndsAt, now);
}

/** The first rule this send breaks, or null when it may be queued. */
export function checkSendPolicy(input: SendPolicyInput): PolicyViolation | null {
  const { content, now, windowEndsAt, consent, tier } = input;
  const windowOpen = isWindowOpen(windowEndsAt, now);
  // Every non-template type (text, media, interactive, reaction) needs the window.
  if (!windowOpen && content.type !== 'template') return windowClosed(content.type, windowEndsAt);

  const businessInitiated = isBusinessInitiated(content, now, windowEndsAt);
  if (businessInitiated && consent.all === 'opted_out') {
    return optedOut(
      'all',
      'The customer opted out of messages from this business; only they can restart the conversation',
    );
  }
  const category = (input.templateCategory ?? input.template?.category ?? '').toUpperCase();
  // Opting out of everything includes marketing, even inside a window the customer opened.
  if (
    content.type === 'template' &&
    category === 'MARKETING' &&
    (consent.marketing === 'opted_out' || consent.all === 'opted_out')
  ) {
    return optedOut(
      'marketing',
      'The customer opted out of marketing messages; a MARKETING template cannot be sent to them',
    );
  }

  if (
    businessInitiated &&
    tier.limit !== null &&
    !tier.recipientCountedAlready &&
    tier.recipientsLast24h >= tier.limit
  ) {
    return {
      code: 'messaging_tier_limit',
      message:
        `This number has reached its messaging limit: ${tier.recipientsLast24h} of ${tier.limit} customers ` +
        'reached outside the care window in the last 24 hours; try again later or message customers who wrote recently',
      details: { limit: tier.limit, used: tier.recipientsLast24h },
    };
  }

  const targetAt = input.reactionTargetAt;
  if (
    content.type === 'reaction' &&
    targetAt != null &&
    now.getTime() - targetAt.getTime() > REACTION_MAX_AGE_MS
  ) {
    return {
      code: 'reaction_target_too_old',
      message: `The message was sent at ${targetAt.toISOString()}; WhatsApp allows reactions only to messages from the last 30 days`,
      field: 'content.targetWamid',
      details: { targetAt: targetAt.toISOString(), maxAgeDays: 30 },
    };
  }
  return null;
}

function windowClosed(type: OutboundContent['type'], windowEndsAt: Date | null): PolicyViolation {
  const when =
    windowEndsAt === null
      ? 'The customer has never written to this number, so there is no customer care window'
      : `The customer care window closed at ${windowEndsAt.toISOString()} (24 hours after the customer's last message)`;
  return {
    code: 'window_closed',
    message: `${when}; a ${type} message cannot be sent now, only an approved template until the customer writes again`,
    field: 'content.type',
    details: { windowClosedAt: windowEndsAt === null ? null : windowEndsAt.toISOString() },
  };
}

function optedOut(scope: 'all' | 'marketing', message: string): PolicyViolation {
  return { code: 'recipient_opted_out', message, details: { scope } };
}
