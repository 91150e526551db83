import { z } from 'zod';
import { idLike, lenient, numberLike } from './webhook-schema.ts';

/**
 * Schemas for the type-specific part of an inbound message (`message[message.type]`), split from
 * webhook-schema.ts to keep both files short. A payload that fails its schema turns the message
 * into an `unsupported` entry carrying the raw message; it never fails the delivery.
 */

const optString = lenient(z.string());
const optId = lenient(idLike);

export const textSchema = z.looseObject({ body: z.string() });

/** image, video, document, audio and sticker share one shape; some keys apply to one type only. */
export const mediaSchema = z.looseObject({
  id: idLike,
  mime_type: optString,
  sha256: optString,
  caption: optString,
  /** document only */
  filename: optString,
  /** audio only: true for a voice note recorded in WhatsApp */
  voice: lenient(z.boolean()),
  /** sticker only */
  animated: lenient(z.boolean()),
  url: optString,
});

export const locationSchema = z.looseObject({
  latitude: numberLike,
  longitude: numberLike,
  name: optString,
  address: optString,
  url: optString,
});

const anyRecord = z.record(z.string(), z.unknown());

export const sharedContactSchema = z.looseObject({
  name: lenient(z.looseObject({ formatted_name: optString, first_name: optString, last_name: optString })),
  phones: lenient(z.array(z.looseObject({ phone: optString, wa_id: optId, type: optString }))),
  emails: lenient(z.array(z.looseObject({ email: optString, type: optString }))),
  org: lenient(anyRecord),
  addresses: lenient(z.array(anyRecord)),
  urls: lenient(z.array(anyRecord)),
  birthday: optString,
});
export type WebhookSharedContact = z.infer<typeof sharedContactSchema>;

/** message.contacts (the vCards the user shared, not value.contacts) */
export const sharedContactsSchema = z.array(sharedContactSchema);

/** The reply object is picked by `type` and validated with the schemas below. */
export const interactiveSchema = z.looseObject({ type: z.string().min(1) });
export const buttonReplySchema = z.looseObject({ id: idLike, title: z.string() });
export const listReplySchema = z.looseObject({ id: idLike, title: z.string(), description: optString });
/** Flow (and address) replies: response_json is a JSON document encoded as a string. */
export const nfmReplySchema = z.looseObject({ name: optString, body: optString, response_json: z.unknown() });

/** Quick-reply button of a template message. */
export const buttonSchema = z.looseObject({ text: z.string(), payload: optString });

/** An absent or empty emoji means the user removed their reaction. */
export const reactionSchema = z.looseObject({ message_id: z.string().min(1), emoji: optString });

export const orderSchema = z.looseObject({
  catalog_id: idLike,
  text: optString,
  product_items: z.array(
    z.looseObject({
      product_retailer_id: idLike,
      quantity: numberLike,
      item_price: numberLike,
      currency: z.string(),
    }),
  ),
});

export const systemSchema = z.looseObject({
  body: optString,
  /** customer_changed_number | customer_identity_changed | user_changed_number | user_changed_user_id */
  type: optString,
  wa_id: optId,
  /** deprecated spelling of wa_id in older API versions */
  new_wa_id: optId,
  customer: optString,
  identity: optString,
  user_id: optString,
  parent_user_id: optString,
});

/** Coexistence numbers only. `message` holds the edited message in the usual `{type, <type>: …}` shape. */
export const editSchema = z.looseObject({
  original_message_id: z.string().min(1),
  message: lenient(anyRecord),
});

export const revokeSchema = z.looseObject({ original_message_id: z.string().min(1) });

/** Meta's own `unsupported` type sometimes names what the user sent (poll_creation, edit, …). */
export const unsupportedSchema = z.looseObject({ type: optString });
