import type { BusinessRef, InboundEvent } from '../../domain/inbound-event.ts';
import {
  isRecord,
  parseContacts,
  resolveCustomer,
  toDate,
  unknownChange,
  type EntryScope,
} from './parse-util.ts';
import {
  accountChangeSchema,
  phoneNumberNameSchema,
  phoneNumberQualitySchema,
  templateCategorySchema,
  templateQualitySchema,
  templateStatusSchema,
  userPreferenceSchema,
  userPreferencesValueSchema,
} from './webhook-schema.ts';

/**
 * Management fields (templates, account, phone number, user preferences). Each maps a whole change
 * value; a value that does not fit its schema becomes `unknown_change` with the raw value.
 * These carry no per-item timestamp, so occurredAt is entry.time (or the delivery's fallback).
 */
export function parseManagementChange(scope: EntryScope, field: string, value: unknown): InboundEvent[] {
  const { wabaId, entryTime: occurredAt } = scope;
  const unknown = () => [unknownChange(wabaId, field, occurredAt, value)];
  if (!isRecord(value)) return unknown();
  const raw = value;

  switch (field) {
    case 'message_template_status_update': {
      const p = templateStatusSchema.safeParse(value);
      if (!p.success) return unknown();
      const v = p.data;
      return [
        {
          kind: 'template_status',
          wabaId,
          ...template(v),
          status: v.event,
          reason: v.reason ?? null,
          occurredAt,
          raw,
        },
      ];
    }
    case 'message_template_quality_update': {
      const p = templateQualitySchema.safeParse(value);
      if (!p.success) return unknown();
      const v = p.data;
      return [
        {
          kind: 'template_quality',
          wabaId,
          ...template(v),
          previousScore: v.previous_quality_score ?? null,
          newScore: v.new_quality_score ?? null,
          occurredAt,
          raw,
        },
      ];
    }
    case 'template_category_update': {
      const p = templateCategorySchema.safeParse(value);
      if (!p.success) return unknown();
      const v = p.data;
      // An impending change sends new_category = the CURRENT category and correct_category = the next one.
      const impending = v.correct_category != null;
      return [
        {
          kind: 'template_category',
          wabaId,
          ...template(v),
          previousCategory: (impending ? v.new_category : v.previous_category) ?? null,
          newCategory: (impending ? v.correct_category : v.new_category) ?? null,
          impending,
          effectiveAt: toDate(v.category_update_timestamp),
          occurredAt,
          raw,
        },
      ];
    }
    case 'account_update':
    case 'account_review_update':
    case 'account_alerts': {
      const p = accountChangeSchema.safeParse(value);
      if (!p.success) return unknown();
      const v = p.data;
      // review updates carry `decision`, alerts carry alert_info.alert_type; both read as the event
      const event = v.event ?? v.decision ?? v.alert_info?.alert_type ?? null;
      return [
        {
          kind: 'account_update',
          wabaId,
          field,
          event,
          // alerts name a phone number *id* (entity_id) instead; it stays in raw rather than mixing the two
          phoneNumber: v.phone_number ?? null,
          occurredAt,
          raw,
        },
      ];
    }
    case 'phone_number_quality_update': {
      const p = phoneNumberQualitySchema.safeParse(value);
      if (!p.success) return unknown();
      const v = p.data;
      return [
        {
          kind: 'phone_number_quality',
          wabaId,
          displayPhoneNumber: v.display_phone_number ?? null,
          event: v.event ?? null,
          currentLimit: v.current_limit ?? null,
          occurredAt,
          raw,
        },
      ];
    }
    case 'phone_number_name_update': {
      const p = phoneNumberNameSchema.safeParse(value);
      if (!p.success) return unknown();
      const v = p.data;
      return [
        {
          kind: 'phone_number_name',
          wabaId,
          displayPhoneNumber: v.display_phone_number ?? null,
          decision: v.decision ?? null,
          requestedVerifiedName: v.requested_verified_name ?? null,
          rejectionReason: v.rejection_reason ?? null,
          occurredAt,
          raw,
        },
      ];
    }
    case 'user_preferences':
      return parseUserPreferences(scope, value);
    default:
      return unknown();
  }
}

function template(v: {
  message_template_id?: string | null | undefined;
  message_template_name?: string | null | undefined;
  message_template_language?: string | null | undefined;
}) {
  return {
    templateId: v.message_template_id ?? null,
    templateName: v.message_template_name ?? null,
    language: v.message_template_language ?? null,
  };
}

/** value.user_preferences[]: one `user_preference` event per item (marketing stop / resume). */
function parseUserPreferences(scope: EntryScope, value: Record<string, unknown>): InboundEvent[] {
  const p = userPreferencesValueSchema.safeParse(value);
  if (!p.success) return [unknownChange(scope.wabaId, 'user_preferences', scope.entryTime, value)];
  const business: BusinessRef = {
    wabaId: scope.wabaId,
    phoneNumberId: p.data.metadata?.phone_number_id ?? null,
    displayPhoneNumber: p.data.metadata?.display_phone_number ?? null,
  };
  const contacts = parseContacts(p.data.contacts);
  return p.data.user_preferences.map((item): InboundEvent => {
    const pref = userPreferenceSchema.safeParse(item);
    const customer = pref.success
      ? resolveCustomer(
          contacts,
          { waId: pref.data.wa_id, userId: pref.data.user_id, parentUserId: pref.data.parent_user_id },
          { singleContactFallback: false },
        )
      : null;
    if (!pref.success || !customer)
      return unknownChange(scope.wabaId, 'user_preferences', scope.entryTime, item);
    return {
      kind: 'user_preference',
      business,
      customer,
      category: pref.data.category,
      value: pref.data.value,
      detail: pref.data.detail ?? null,
      occurredAt: toDate(pref.data.timestamp) ?? scope.entryTime,
    };
  });
}
