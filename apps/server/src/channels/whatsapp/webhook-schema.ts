import { z } from 'zod';

/**
 * Zod schemas for Meta's WhatsApp Business Account webhook payload:
 * `{object: 'whatsapp_business_account', entry: [{id, time?, changes: [{field, value}]}]}`.
 *
 * Every object is loose (unknown keys pass through) because Meta adds fields without notice.
 * Required fields are the ones we cannot map without; optional fields go through `lenient()` so a
 * wrongly typed optional field reads as absent instead of failing the whole message.
 * Arrays inside a change are typed `unknown[]` here and parsed item by item in parse.ts, so one
 * bad item never loses its neighbours.
 */

/** An optional field that never fails its parent: absent, null or of the wrong type all read as undefined. */
export function lenient<T extends z.ZodType>(schema: T) {
  return schema.nullish().catch(undefined);
}

/** Ids arrive as strings, but some (template ids, wa_id in old payloads) as JSON numbers. */
export const idLike = z.union([z.string().min(1), z.number().transform(String)]);

/** Quantities, prices and coordinates: numbers, or numeric strings in some payloads. */
export const numberLike = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);

/** Unix seconds as a string or a number; checked when converted to a Date (parse-util.ts). */
export const unixTimeLike = z.union([z.string(), z.number()]);

const optString = lenient(z.string());
const optId = lenient(idLike);

/* ---------- envelope ---------- */

export const deliverySchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.unknown()),
});

export const entrySchema = z.looseObject({
  id: idLike,
  /** present on account/template fields, usually absent on messages */
  time: lenient(unixTimeLike),
  changes: z.array(z.unknown()).optional(),
});

export const changeSchema = z.looseObject({
  field: z.string().min(1),
  value: z.unknown(),
});

/* ---------- shared pieces ---------- */

export const metaErrorSchema = z.looseObject({
  code: lenient(numberLike),
  title: optString,
  message: optString,
  error_data: lenient(z.looseObject({ details: optString })),
  href: optString,
});

export const metadataSchema = z.looseObject({
  display_phone_number: optId,
  phone_number_id: optId,
});

/** value.contacts[]: who sent the messages (or whose preference changed). */
export const contactSchema = z.looseObject({
  wa_id: optId,
  /** business-scoped user id (BSUID) and its parent, sent since 2026 */
  user_id: optString,
  parent_user_id: optString,
  profile: lenient(z.looseObject({ name: optString, username: optString })),
});
export type WebhookContact = z.infer<typeof contactSchema>;

/* ---------- field "messages" ---------- */

export const messagesValueSchema = z.looseObject({
  messaging_product: optString,
  metadata: lenient(metadataSchema),
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
});

export const contextSchema = z.looseObject({
  from: optId,
  id: optString,
  forwarded: lenient(z.boolean()),
  frequently_forwarded: lenient(z.boolean()),
  referred_product: lenient(z.looseObject({ catalog_id: idLike, product_retailer_id: idLike })),
});

export const referralSchema = z.looseObject({
  source_url: optString,
  source_id: optId,
  source_type: optString,
  headline: optString,
  body: optString,
  media_type: optString,
  image_url: optString,
  video_url: optString,
  thumbnail_url: optString,
  ctwa_clid: optString,
});

/** The fields every inbound message has, whatever its type. */
export const messageBaseSchema = z.looseObject({
  id: z.string().min(1),
  /** the sender's phone number; omitted for users who adopted a username (BSUID rollout) */
  from: optId,
  from_user_id: optString,
  from_parent_user_id: optString,
  timestamp: lenient(unixTimeLike),
  type: optString,
  context: lenient(contextSchema),
  referral: lenient(referralSchema),
  errors: lenient(z.array(z.unknown())),
});

export const statusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  timestamp: lenient(unixTimeLike),
  /** phone number (or group id); omitted when the message was sent to a BSUID */
  recipient_id: optId,
  recipient_user_id: optString,
  recipient_parent_user_id: optString,
  biz_opaque_callback_data: optString,
  errors: lenient(z.array(z.unknown())),
  pricing: lenient(
    z.looseObject({
      pricing_model: optString,
      billable: lenient(z.boolean()),
      category: optString,
      /** PMP only: regular | free_customer_service | free_entry_point */
      type: optString,
    }),
  ),
  /** CBP era only; from v24.0 PMP statuses carry no conversation object */
  conversation: lenient(
    z.looseObject({
      id: idLike,
      expiration_timestamp: lenient(unixTimeLike),
      origin: lenient(z.looseObject({ type: optString })),
    }),
  ),
});

/* ---------- management fields ---------- */

const templateRef = {
  message_template_id: optId,
  message_template_name: optString,
  message_template_language: optString,
};

export const templateStatusSchema = z.looseObject({
  ...templateRef,
  event: z.string().min(1),
  reason: optString,
});

export const templateQualitySchema = z.looseObject({
  ...templateRef,
  previous_quality_score: optString,
  new_quality_score: optString,
});

export const templateCategorySchema = z.looseObject({
  ...templateRef,
  previous_category: optString,
  new_category: optString,
  /** impending changes only: the category the template will move to */
  correct_category: optString,
  category_update_timestamp: lenient(unixTimeLike),
});

/** account_update, account_review_update and account_alerts share one event kind. */
export const accountChangeSchema = z.looseObject({
  event: optString,
  phone_number: optId,
  /** account_review_update */
  decision: optString,
  /** account_alerts */
  entity_type: optString,
  entity_id: optId,
  alert_info: lenient(z.looseObject({ alert_type: optString })),
});

export const phoneNumberQualitySchema = z.looseObject({
  display_phone_number: optId,
  event: optString,
  current_limit: optString,
});

export const phoneNumberNameSchema = z.looseObject({
  display_phone_number: optId,
  decision: optString,
  requested_verified_name: optString,
  rejection_reason: optString,
});

export const userPreferencesValueSchema = z.looseObject({
  metadata: lenient(metadataSchema),
  contacts: z.array(z.unknown()).optional(),
  user_preferences: z.array(z.unknown()),
});

export const userPreferenceSchema = z.looseObject({
  wa_id: optId,
  user_id: optString,
  parent_user_id: optString,
  category: z.string().min(1),
  value: z.string().min(1),
  detail: optString,
  timestamp: lenient(unixTimeLike),
});
