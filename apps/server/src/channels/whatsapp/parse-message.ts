import type {
  BusinessRef,
  InboundEvent,
  InteractiveReply,
  MediaRef,
  MessageContent,
  MessageContext,
  MetaError,
  Referral,
  SharedContact,
} from '../../domain/inbound-event.ts';
import {
  buttonReplySchema,
  buttonSchema,
  editSchema,
  interactiveSchema,
  listReplySchema,
  locationSchema,
  mediaSchema,
  nfmReplySchema,
  orderSchema,
  reactionSchema,
  revokeSchema,
  sharedContactsSchema,
  systemSchema,
  textSchema,
  unsupportedSchema,
  type WebhookSharedContact,
} from './parse-message-schema.ts';
import {
  isRecord,
  resolveCustomer,
  toDate,
  toMetaErrors,
  unknownChange,
  type EntryScope,
} from './parse-util.ts';
import {
  contextSchema,
  messageBaseSchema,
  type referralSchema,
  type WebhookContact,
} from './webhook-schema.ts';
import type { z } from 'zod';

/** One value.messages[] item of a `messages` change → one `message` event. */
export function parseMessage(
  raw: unknown,
  scope: EntryScope,
  business: BusinessRef,
  contacts: readonly WebhookContact[],
): InboundEvent {
  const base = messageBaseSchema.safeParse(raw);
  // Without a wamid the message cannot be applied exactly once, so it is reported, not guessed.
  if (!base.success || !isRecord(raw)) return unknownChange(scope.wabaId, 'messages', scope.entryTime, raw);
  const m = base.data;
  const customer = resolveCustomer(contacts, {
    waId: m.from,
    userId: m.from_user_id,
    parentUserId: m.from_parent_user_id,
  });
  if (!customer) return unknownChange(scope.wabaId, 'messages', scope.entryTime, raw);

  const errors = toMetaErrors(m.errors);
  const content = parseContent(m.type ?? 'unknown', raw, errors, true);
  return {
    kind: 'message',
    business,
    customer,
    wamid: m.id,
    occurredAt: toDate(m.timestamp) ?? scope.entryTime,
    content,
    context: mapContext(m.context ?? editedContext(content, raw)),
    referral: mapReferral(m.referral),
    errors,
  };
}

/** Maps `message[type]`; anything unknown or malformed becomes `unsupported` with the raw message. */
function parseContent(
  type: string,
  message: Record<string, unknown>,
  errors: MetaError[],
  allowEdit: boolean,
): MessageContent {
  const payload = message[type];
  const unsupported = (originalType = type): MessageContent => ({
    type: 'unsupported',
    originalType,
    errors,
    raw: message,
  });

  switch (type) {
    case 'text': {
      const p = textSchema.safeParse(payload);
      return p.success ? { type: 'text', body: p.data.body } : unsupported();
    }
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker': {
      const p = mediaSchema.safeParse(payload);
      return p.success ? { type, media: mapMedia(type, p.data) } : unsupported();
    }
    case 'location': {
      const p = locationSchema.safeParse(payload);
      if (!p.success) return unsupported();
      const { latitude, longitude, name, address, url } = p.data;
      return { type, latitude, longitude, name: name ?? null, address: address ?? null, url: url ?? null };
    }
    case 'contacts': {
      const p = sharedContactsSchema.safeParse(payload);
      return p.success ? { type, contacts: p.data.map(mapSharedContact) } : unsupported();
    }
    case 'interactive': {
      const reply = parseInteractive(payload);
      return reply ? { type, reply } : unsupported();
    }
    case 'button': {
      const p = buttonSchema.safeParse(payload);
      return p.success ? { type, text: p.data.text, payload: p.data.payload ?? null } : unsupported();
    }
    case 'reaction': {
      const p = reactionSchema.safeParse(payload);
      // '' and a missing emoji both mean "reaction removed"; normalised to null
      return p.success
        ? { type, targetWamid: p.data.message_id, emoji: p.data.emoji || null }
        : unsupported();
    }
    case 'order': {
      const p = orderSchema.safeParse(payload);
      if (!p.success) return unsupported();
      const items = p.data.product_items.map((i) => ({
        productRetailerId: i.product_retailer_id,
        quantity: i.quantity,
        itemPrice: i.item_price,
        currency: i.currency,
      }));
      return { type, catalogId: p.data.catalog_id, text: p.data.text ?? null, items };
    }
    case 'system': {
      const p = systemSchema.safeParse(payload);
      if (!p.success) return unsupported();
      const s = p.data;
      return {
        type,
        body: s.body ?? '',
        systemType: s.type ?? null,
        newWaId: s.wa_id ?? s.new_wa_id ?? null,
        // customer_identity_changed names the customer; number changes name the old number in the body
        customer: s.customer ?? null,
        newUserId: s.user_id ?? null,
      };
    }
    case 'edit': {
      const p = editSchema.safeParse(payload);
      if (!allowEdit || !p.success) return unsupported();
      const inner = p.data.message;
      const newContent = inner ? parseContent(innerType(inner), inner, [], false) : unsupported('edit');
      return { type, targetWamid: p.data.original_message_id, newContent };
    }
    case 'revoke': {
      const p = revokeSchema.safeParse(payload);
      return allowEdit && p.success ? { type, targetWamid: p.data.original_message_id } : unsupported();
    }
    case 'unsupported': {
      const p = unsupportedSchema.safeParse(payload);
      return unsupported((p.success ? p.data.type : null) ?? 'unsupported');
    }
    default:
      // request_welcome, and every type Meta adds after this was written
      return unsupported();
  }
}

/** An edit's inner message may omit `type`; the first known payload key tells it. */
function innerType(message: Record<string, unknown>): string {
  if (typeof message['type'] === 'string') return message['type'];
  const known = ['text', 'image', 'video', 'document', 'audio', 'sticker', 'location', 'contacts'];
  return known.find((k) => k in message) ?? 'unknown';
}

function parseInteractive(payload: unknown): InteractiveReply | null {
  const p = interactiveSchema.safeParse(payload);
  if (!p.success) return null;
  const reply: unknown = p.data[p.data.type];
  switch (p.data.type) {
    case 'button_reply': {
      const r = buttonReplySchema.safeParse(reply);
      return r.success ? { kind: 'button_reply', id: r.data.id, title: r.data.title } : null;
    }
    case 'list_reply': {
      const r = listReplySchema.safeParse(reply);
      if (!r.success) return null;
      return {
        kind: 'list_reply',
        id: r.data.id,
        title: r.data.title,
        description: r.data.description ?? null,
      };
    }
    case 'nfm_reply': {
      const r = nfmReplySchema.safeParse(reply);
      if (!r.success) return null;
      return {
        kind: 'nfm_reply',
        name: r.data.name ?? null,
        body: r.data.body ?? null,
        responseJson: decodeJson(r.data.response_json),
      };
    }
    default:
      // call_permission_reply and future reply types: kept whole
      return { kind: 'unknown', raw: p.data };
  }
}

/** Flow replies carry JSON as a string; a string that is not JSON is kept as it came. */
function decodeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function mapMedia(type: MediaKind, m: z.infer<typeof mediaSchema>): MediaRef {
  const ref: MediaRef = {
    id: m.id,
    mimeType: m.mime_type ?? null,
    sha256: m.sha256 ?? null,
    caption: m.caption ?? null,
    fileName: m.filename ?? null,
    url: m.url ?? null,
  };
  if (type === 'audio') ref.voice = m.voice ?? false;
  if (type === 'sticker') ref.animated = m.animated ?? false;
  return ref;
}
type MediaKind = 'image' | 'video' | 'document' | 'audio' | 'sticker';

function mapSharedContact(c: WebhookSharedContact): SharedContact {
  const strings = <K extends string>(o: Record<string, unknown>, keys: readonly K[]) => {
    const out: Partial<Record<K, string>> = {};
    for (const k of keys) if (typeof o[k] === 'string') out[k] = o[k];
    return out;
  };
  const { formatted_name, first_name, last_name, ...otherNameParts } = c.name ?? {};
  return {
    name: {
      ...otherNameParts,
      ...strings({ formatted_name, first_name, last_name }, ['formatted_name', 'first_name', 'last_name']),
    },
    phones: (c.phones ?? []).map((p) => strings(p, ['phone', 'wa_id', 'type'])),
    emails: (c.emails ?? []).map((e) => strings(e, ['email', 'type'])),
    org: c.org ?? null,
    addresses: c.addresses ?? [],
    urls: c.urls ?? [],
    birthday: c.birthday ?? null,
  };
}

type WebhookContext = z.infer<typeof contextSchema>;

function mapContext(c: WebhookContext | null | undefined): MessageContext | null {
  if (!c) return null;
  const rp = c.referred_product;
  return {
    wamid: c.id ?? null,
    from: c.from ?? null,
    // "frequently forwarded" (5+ hops) is a kind of forwarded, even if Meta sets only that flag
    forwarded: (c.forwarded ?? false) || (c.frequently_forwarded ?? false),
    frequentlyForwarded: c.frequently_forwarded ?? false,
    referredProduct: rp ? { catalogId: rp.catalog_id, productRetailerId: rp.product_retailer_id } : null,
  };
}

/** An edit of a reply carries the reply's context inside edit.message. */
function editedContext(content: MessageContent, raw: Record<string, unknown>): WebhookContext | null {
  if (content.type !== 'edit') return null;
  const edit = raw['edit'];
  const inner = isRecord(edit) ? edit['message'] : undefined;
  const parsed = contextSchema.safeParse(isRecord(inner) ? inner['context'] : undefined);
  return parsed.success ? parsed.data : null;
}

function mapReferral(r: z.infer<typeof referralSchema> | null | undefined): Referral | null {
  if (!r) return null;
  return {
    sourceUrl: r.source_url ?? null,
    sourceId: r.source_id ?? null,
    sourceType: r.source_type ?? null,
    headline: r.headline ?? null,
    body: r.body ?? null,
    mediaType: r.media_type ?? null,
    ctwaClid: r.ctwa_clid ?? null,
    // image_url / video_url / thumbnail_url / welcome_message stay here
    raw: r,
  };
}
