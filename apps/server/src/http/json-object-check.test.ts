import { describe, expect, it } from 'vitest';
import { isJsonObjectBytes } from './json-object-check.ts';

/** What the check must agree with: JSON.parse of the UTF-8 decoding, a non-array object. */
function reference(bytes: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function check(text: string | Buffer): boolean {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const got = isJsonObjectBytes(bytes);
  // every case is also held against the reference, so a wrong expectation cannot hide a bug
  expect(got, JSON.stringify(bytes.toString('latin1'))).toBe(reference(bytes));
  return got;
}

/** A small deterministic PRNG (mulberry32): the fuzz cases are the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('isJsonObjectBytes', () => {
  it('accepts objects of every kind of value', () => {
    expect(check('{}')).toBe(true);
    expect(check(' \t\r\n{ } \n')).toBe(true);
    expect(check('{"a":1}')).toBe(true);
    expect(check('{"a" : [1, -2.5e+3, 0, 0.0, 1E9, -0], "b": {"c": null}, "d": true, "e": false}')).toBe(
      true,
    );
    expect(check('{"s":"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00 \\u0000"}')).toBe(true);
    expect(check('{"emoji":"😀","accents":"çà","":"", "a":"dup", "a":"dup"}')).toBe(true);
    expect(check('{"nested":[[[{}]],[],{"x":[{"y":[]}]}]}')).toBe(true);
    expect(check(`{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`)).toBe(true);
  });

  it('refuses what is not one JSON object', () => {
    for (const text of [
      '',
      ' ',
      '[]',
      '[{}]',
      '"text"',
      '1',
      'null',
      'true',
      '{',
      '}',
      '{}}',
      '{}{}',
      '{} x',
      '{"a"}',
      '{"a":}',
      '{"a":1,}',
      '{,"a":1}',
      '{"a":1 "b":2}',
      '{a:1}',
      "{'a':1}",
      '{"a":[1,]}',
      '{"a":[,1]}',
      '{"a":[1 2]}',
      '{"a":01}',
      '{"a":-}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":1e}',
      '{"a":1e+}',
      '{"a":+1}',
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":tru}',
      '{"a":nul}',
      '{"a":True}',
      '{"a":"unterminated}',
      '{"a":"bad \\x escape"}',
      '{"a":"short \\u12"}',
      '{"a":"bad \\u12G4"}',
      '{"a":"raw \n newline"}',
      '{"a":"raw \t tab"}',
      '{"a":1}\u00a0',
      '\ufeff{"a":1}',
      '{"a":1}\u2028',
      '{"a":[}',
      '{"a":{]}',
      `{"deep":${'['.repeat(5000)}${']'.repeat(4999)}}`,
    ]) {
      expect(check(text), text).toBe(false);
    }
  });

  it('treats invalid UTF-8 as JSON.parse of its decoding does', () => {
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
    // inside a string the decoder's U+FFFD is an ordinary character...
    expect(check(bytes('{"a":"', [0xff, 0xe2, 0x80], '"}'))).toBe(true);
    // ...and an incomplete sequence never swallows the closing quote
    expect(check(bytes('{"a":"', [0xe2], '"}'))).toBe(true);
    expect(check(bytes('{"a":"', [0xf0, 0x9f], '"}'))).toBe(true);
    // outside strings it is not JSON
    expect(check(bytes('{"a":1', [0xff], '}'))).toBe(false);
    expect(check(bytes([0xef, 0xbb, 0xbf], '{}'))).toBe(false);
  });

  it('agrees with JSON.parse on many mutated webhook payloads (deterministic fuzz)', () => {
    const random = prng(20261121);
    const seeds = [
      '{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Ana"},"wa_id":"5511987654321"}],"messages":[{"from":"5511987654321","id":"wamid.X==","timestamp":"1700000000","type":"text","text":{"body":"Olá \\"quoted\\" \\u00e9 😀"}}]}}]}]}',
      '{"a":[1,-2.5e-3,0,true,false,null,{"b":"c"},[]],"d":{"e":{"f":[{"g":1E+2}]}}}',
    ];
    const alphabet = Buffer.from('{}[]",:-+.0123456789eEtrufalsn \t\n\r\\/bu\u0000x');
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const bytes = Buffer.from(seeds[n % seeds.length]!, 'utf8');
      let mutated: Buffer = bytes;
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * mutated.length);
        const kind = random();
        if (kind < 0.4) {
          // replace a byte (sometimes with one above 0x7f)
          const copy = Buffer.from(mutated);
          copy[at] =
            random() < 0.1
              ? 0x80 + Math.floor(random() * 0x80)
              : alphabet[Math.floor(random() * alphabet.length)]!;
          mutated = copy;
        } else if (kind < 0.7) {
          mutated = Buffer.concat([mutated.subarray(0, at), mutated.subarray(at + 1)]);
        } else {
          const insert = Buffer.from([alphabet[Math.floor(random() * alphabet.length)]!]);
          mutated = Buffer.concat([mutated.subarray(0, at), insert, mutated.subarray(at)]);
        }
      }
      if (check(mutated)) accepted++;
    }
    // the mutations must exercise both answers, or the comparison proves little
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(19_500);
  });
});
