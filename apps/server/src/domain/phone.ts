import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type { CountryCode };

// Full ("max") metadata: the legacy-number rules below need to know which numbers are mobile.

/**
 * Normalizes a phone number as people type it in a CRM to E.164, or null when it is not a phone
 * number. Legacy forms that WhatsApp and CRMs still use (see `legacyVariants`) are accepted as typed.
 */
export function toE164(raw: string, defaultCountry?: CountryCode): string | null {
  const text = raw.trim();
  if (text === '') return null;
  for (const candidate of parseAttempts(text)) {
    const parsed = parsePhoneNumberFromString(candidate, defaultCountry);
    if (!parsed) continue;
    if (parsed.isValid() || legacyVariants(parsed.number.slice(1)).length > 0) return parsed.number;
  }
  return null;
}

/** "0044 20…" is international dialing in most of the world, even when the default country dials 011. */
function parseAttempts(text: string): string[] {
  const attempts = [text];
  const compact = text.replace(/[\s().-]/g, '');
  if (/^00[1-9]/.test(compact)) attempts.push(`+${compact.slice(2)}`);
  return attempts;
}

/** wa_id is the international number without '+'. Anything else is a parser bug we want to see. */
export function waIdToE164(waId: string): string {
  const digits = waId.trim().replace(/^\+/, '');
  if (!/^\d{6,15}$/.test(digits)) throw new TypeError('wa_id must be 6 to 15 digits');
  return `+${digits}`;
}

/**
 * The E.164 numbers a CRM record may be stored under for this WhatsApp id: the exact number first,
 * then the legacy/modern variants of it, without duplicates.
 */
export function matchCandidates(waId: string): string[] {
  const exact = waIdToE164(waId);
  const variants = legacyVariants(exact.slice(1)).map((digits) => `+${digits}`);
  return [...new Set([exact, ...variants])];
}

interface VariantRule {
  pattern: RegExp;
  variant: (match: RegExpExecArray) => string | null;
}

const isValid = (e164: string): boolean => parsePhoneNumberFromString(e164)?.isValid() === true;
const isMobile = (e164: string): boolean => {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed?.isValid() === true && parsed.getType() === 'MOBILE';
};

/** Each rule maps one form (international digits, no '+') to the other form of the same line. */
const RULES: VariantRule[] = [
  // BR: mobiles gained a 9 after the area code (2012–2016); older WhatsApp ids and CRM records lack it.
  // Only old 8-digit mobiles began with 6–9; landlines begin with 2–5, so they are never touched.
  {
    pattern: /^55(\d{2})9([6-9]\d{7})$/,
    variant: ([, ddd, rest]) => (isMobile(`+55${ddd}9${rest}`) ? `55${ddd}${rest}` : null),
  },
  {
    pattern: /^55(\d{2})([6-9]\d{7})$/,
    variant: ([, ddd, rest]) => (isMobile(`+55${ddd}9${rest}`) ? `55${ddd}9${rest}` : null),
  },
  // MX: mobiles used to be dialed as +52 1 …; Mexico dropped the 1 in 2019, WhatsApp ids often keep it.
  {
    pattern: /^521(\d{10})$/,
    variant: ([, national]) => (isValid(`+52${national}`) ? `52${national}` : null),
  },
  {
    pattern: /^52(\d{10})$/,
    variant: ([, national]) => (isValid(`+52${national}`) ? `521${national}` : null),
  },
  // AR: the 9 after +54 only marks a mobile in international form; CRMs often store the number without it.
  {
    pattern: /^549(\d{10})$/,
    variant: ([, national]) => (isMobile(`+549${national}`) ? `54${national}` : null),
  },
  {
    pattern: /^54([1-8]\d{9})$/,
    variant: ([, national]) => (isMobile(`+549${national}`) ? `549${national}` : null),
  },
];

/** Other forms of the same line (international digits, no '+'); empty for numbers without variants. */
function legacyVariants(digits: string): string[] {
  const found: string[] = [];
  for (const rule of RULES) {
    const match = rule.pattern.exec(digits);
    const variant = match ? rule.variant(match) : null;
    if (variant !== null && variant !== digits) found.push(variant);
  }
  return found;
}
