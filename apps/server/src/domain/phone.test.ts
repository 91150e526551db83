import { describe, expect, it } from 'vitest';
import { matchCandidates, toE164, waIdToE164 } from './phone.ts';

describe('toE164', () => {
  it('normalizes what people type in a CRM', () => {
    expect(toE164('+55 (11) 98765-4321')).toBe('+5511987654321');
    expect(toE164('0044 20 7946 0958')).toBe('+442079460958');
    expect(toE164('0044 20 7946 0958', 'BR')).toBe('+442079460958');
    expect(toE164('(415) 555-0100', 'US')).toBe('+14155550100');
    expect(toE164('  +1 415.555.0100  ')).toBe('+14155550100');
    expect(toE164('011 44 20 7946 0958', 'US')).toBe('+442079460958');
    expect(toE164('11 98765-4321', 'BR')).toBe('+5511987654321');
    expect(toE164('+44 7911 123456')).toBe('+447911123456');
  });

  it('keeps legacy forms that WhatsApp and CRMs still hold, as typed', () => {
    expect(toE164('+55 11 8765-4321')).toBe('+551187654321');
    expect(toE164('+52 1 55 1234 5678')).toBe('+5215512345678');
    expect(toE164('+54 11 2345-6789')).toBe('+541123456789');
  });

  it('returns null for garbage', () => {
    expect(toE164('')).toBeNull();
    expect(toE164('   ')).toBeNull();
    expect(toE164('hello')).toBeNull();
    expect(toE164('123')).toBeNull();
    expect(toE164('(415) 555-0100')).toBeNull(); // national number without a country
    expect(toE164('+55 11 9876')).toBeNull();
    expect(toE164('+1 000 000 0000')).toBeNull();
  });
});

describe('waIdToE164', () => {
  it('adds the plus', () => {
    expect(waIdToE164('5511987654321')).toBe('+5511987654321');
    expect(waIdToE164('14155550100')).toBe('+14155550100');
  });

  it('refuses what is not a wa_id', () => {
    expect(() => waIdToE164('')).toThrow(TypeError);
    expect(() => waIdToE164('55 11 98765')).toThrow(TypeError);
    expect(() => waIdToE164('abc')).toThrow(TypeError);
  });
});

describe('matchCandidates', () => {
  it('BR: a wa_id without the ninth digit also matches the record with it', () => {
    expect(matchCandidates('551187654321')).toEqual(['+551187654321', '+5511987654321']);
    expect(matchCandidates('556181234567')).toEqual(['+556181234567', '+5561981234567']);
  });

  it('BR: a wa_id with the ninth digit also matches the record without it', () => {
    expect(matchCandidates('5511987654321')).toEqual(['+5511987654321', '+551187654321']);
    expect(matchCandidates('5521998765432')).toEqual(['+5521998765432', '+552198765432']);
  });

  it('BR: landlines and new 9-numbers whose old form would be a landline get no variant', () => {
    expect(matchCandidates('551134567890')).toEqual(['+551134567890']);
    expect(matchCandidates('5511934567890')).toEqual(['+5511934567890']);
  });

  it('MX: with and without the 1 after the country code', () => {
    expect(matchCandidates('5215512345678')).toEqual(['+5215512345678', '+525512345678']);
    expect(matchCandidates('525512345678')).toEqual(['+525512345678', '+5215512345678']);
  });

  it('AR: with and without the 9 after the country code', () => {
    expect(matchCandidates('5491123456789')).toEqual(['+5491123456789', '+541123456789']);
    expect(matchCandidates('541123456789')).toEqual(['+541123456789', '+5491123456789']);
    expect(matchCandidates('5493515551234')).toEqual(['+5493515551234', '+543515551234']);
  });

  it('US and UK numbers have no variants', () => {
    expect(matchCandidates('14155550100')).toEqual(['+14155550100']);
    expect(matchCandidates('447911123456')).toEqual(['+447911123456']);
    expect(matchCandidates('442079460958')).toEqual(['+442079460958']);
  });

  it('every candidate of a wa_id is accepted by toE164, so CRM lookups and matching agree', () => {
    for (const waId of ['551187654321', '5511987654321', '5215512345678', '525512345678', '5491123456789']) {
      for (const candidate of matchCandidates(waId)) expect(toE164(candidate)).toBe(candidate);
    }
  });

  it('garbage wa_ids are refused rather than matched', () => {
    expect(() => matchCandidates('not-a-number')).toThrow(TypeError);
  });
});
