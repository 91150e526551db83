/**
 * What a WhatsApp webhook delivery means, independent of Meta's JSON layout. The WhatsApp adapter
 * (channels/whatsapp/parse.ts) turns one delivery into a list of these; the inbound worker applies
 * them. Nothing in a delivery is dropped: what we do not model becomes an `unsupported` message or
 * an `unknown_change` event that keeps its raw value.
 */

/** Meta's error object as it appears in webhooks (messages[].errors, statuses[].errors, value.errors). */
export interface MetaError {
  code: number;
  title: string | null;
  message: string | null;
  details: string | null;
  href: string | null;
}

/** Where a change came from: the WABA (entry.id) and, for messaging fields, the business number. */
export interface BusinessRef {
  wabaId: string;
  phoneNumberId: string | null;
  displayPhoneNumber: string | null;
}

export interface CustomerProfile {
  waId: string;
  /** business-scoped user id and its parent, sent beside wa_id */
  userId: string | null;
  parentUserId: string | null;
  profileName: string | null;
  /** WhatsApp username (contacts[].profile.username), sent once the user adopts one */
  username?: string | null;
}

export interface MediaRef {
  /** Meta's media id (GET /{media-id} gives the download URL) */
  id: string;
  mimeType: string | null;
  sha256: string | null;
  caption: string | null;
  fileName: string | null;
  /** true for a voice note (audio.voice) and for animated stickers (sticker.animated) */
  voice?: boolean;
  animated?: boolean;
  /** direct download URL when Meta includes one in the webhook (still needs the access token) */
  url?: string | null;
}

export interface SharedContact {
  name: { formatted_name?: string; first_name?: string; last_name?: string; [k: string]: unknown };
  phones: { phone?: string; wa_id?: string; type?: string }[];
  emails: { email?: string; type?: string }[];
  org: Record<string, unknown> | null;
  addresses: Record<string, unknown>[];
  urls: Record<string, unknown>[];
  birthday: string | null;
}

export type MessageContent =
  | { type: 'text'; body: string }
  | { type: 'image' | 'video' | 'document' | 'audio' | 'sticker'; media: MediaRef }
  | {
      type: 'location';
      latitude: number;
      longitude: number;
      name: string | null;
      address: string | null;
      url: string | null;
    }
  | { type: 'contacts'; contacts: SharedContact[] }
  | { type: 'interactive'; reply: InteractiveReply }
  | { type: 'button'; text: string; payload: string | null }
  | { type: 'reaction'; targetWamid: string; emoji: string | null /* null or '' removes the reaction */ }
  | {
      type: 'order';
      catalogId: string;
      text: string | null;
      items: { productRetailerId: string; quantity: number; itemPrice: number; currency: string }[];
    }
  | {
      type: 'system';
      body: string;
      systemType: string | null;
      newWaId: string | null;
      customer: string | null;
      /** the user's new business-scoped user id (system.user_id) after a number / user id change */
      newUserId?: string | null;
    }
  | { type: 'edit'; targetWamid: string; newContent: MessageContent }
  | { type: 'revoke'; targetWamid: string }
  | { type: 'unsupported'; originalType: string; errors: MetaError[]; raw: unknown };

export type InteractiveReply =
  | { kind: 'button_reply'; id: string; title: string }
  | { kind: 'list_reply'; id: string; title: string; description: string | null }
  | { kind: 'nfm_reply'; name: string | null; body: string | null; responseJson: unknown }
  | { kind: 'unknown'; raw: unknown };

export interface MessageContext {
  /** the message this one replies to (or, for product enquiries, the catalog message) */
  wamid: string | null;
  from: string | null;
  forwarded: boolean;
  frequentlyForwarded: boolean;
  referredProduct: { catalogId: string; productRetailerId: string } | null;
}

/** Click-to-WhatsApp ad / post referral */
export interface Referral {
  sourceUrl: string | null;
  sourceId: string | null;
  sourceType: string | null;
  headline: string | null;
  body: string | null;
  mediaType: string | null;
  ctwaClid: string | null;
  raw: Record<string, unknown>;
}

export interface PricingInfo {
  /** 'PMP' (per-message pricing) or 'CBP' (conversation-based, before July 2025) */
  model: string | null;
  billable: boolean | null;
  category: string | null;
  /** PMP: 'regular' | 'free_customer_service' | 'free_entry_point' */
  type: string | null;
}

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed' | 'deleted';

export type InboundEvent =
  | {
      kind: 'message';
      business: BusinessRef;
      customer: CustomerProfile;
      wamid: string;
      occurredAt: Date;
      content: MessageContent;
      context: MessageContext | null;
      referral: Referral | null;
      /** errors Meta attached to the message itself (e.g. unsupported type) */
      errors: MetaError[];
    }
  | {
      kind: 'status';
      business: BusinessRef;
      wamid: string;
      status: DeliveryStatus;
      recipientId: string | null;
      /** business-scoped id of the recipient, when Meta sends it */
      recipientUserId: string | null;
      /** recipient's parent business-scoped user id (recipient_parent_user_id), when enabled */
      recipientParentUserId?: string | null;
      occurredAt: Date;
      errors: MetaError[];
      pricing: PricingInfo | null;
      conversation: { id: string; originType: string | null; expiresAt: Date | null } | null;
      bizOpaqueCallbackData: string | null;
    }
  | {
      kind: 'template_status';
      wabaId: string;
      templateId: string | null;
      templateName: string | null;
      language: string | null;
      /** APPROVED | REJECTED | PENDING | PAUSED | DISABLED | FLAGGED | REINSTATED | PENDING_DELETION | … */
      status: string;
      reason: string | null;
      occurredAt: Date;
      raw: Record<string, unknown>;
    }
  | {
      kind: 'template_quality';
      wabaId: string;
      templateId: string | null;
      templateName: string | null;
      language: string | null;
      previousScore: string | null;
      newScore: string | null;
      occurredAt: Date;
      raw: Record<string, unknown>;
    }
  | {
      kind: 'template_category';
      wabaId: string;
      templateId: string | null;
      templateName: string | null;
      language: string | null;
      previousCategory: string | null;
      newCategory: string | null;
      /** true for an announced change (correct_category) that has not happened yet */
      impending?: boolean;
      /** when an impending change takes effect (category_update_timestamp) */
      effectiveAt?: Date | null;
      occurredAt: Date;
      raw: Record<string, unknown>;
    }
  | {
      kind: 'account_update';
      wabaId: string;
      /** field name as Meta sends it: account_update, account_review_update, account_alerts, … */
      field: string;
      event: string | null;
      phoneNumber: string | null;
      occurredAt: Date;
      raw: Record<string, unknown>;
    }
  | {
      kind: 'phone_number_quality';
      wabaId: string;
      displayPhoneNumber: string | null;
      event: string | null;
      currentLimit: string | null;
      occurredAt: Date;
      raw: Record<string, unknown>;
    }
  | {
      kind: 'phone_number_name';
      wabaId: string;
      displayPhoneNumber: string | null;
      decision: string | null;
      requestedVerifiedName: string | null;
      rejectionReason: string | null;
      occurredAt: Date;
      raw: Record<string, unknown>;
    }
  | {
      kind: 'user_preference';
      business: BusinessRef;
      customer: CustomerProfile;
      /** e.g. 'marketing_messages' */
      category: string;
      /** 'stop' | 'resume' */
      value: string;
      detail: string | null;
      occurredAt: Date;
    }
  | {
      /** webhook-level errors (value.errors) that do not belong to one message */
      kind: 'business_error';
      business: BusinessRef;
      errors: MetaError[];
      occurredAt: Date;
    }
  | {
      /** a field or shape we do not model yet: kept verbatim and reported */
      kind: 'unknown_change';
      wabaId: string | null;
      field: string;
      occurredAt: Date;
      raw: unknown;
    };

export type InboundEventKind = InboundEvent['kind'];

/** A delivery that is not a WhatsApp Business Account webhook at all (wrong `object`, no entry). */
export class MalformedDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedDeliveryError';
  }
}
