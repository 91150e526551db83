import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature.ts';

describe('webhook signature', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

  it('accepts the signature of the exact bytes', () => {
    expect(verifySignature('s3cret', body, signBody('s3cret', body))).toBe(true);
  });

  it('refuses a signature by another secret, of other bytes, malformed or missing', () => {
    expect(verifySignature('s3cret', body, signBody('other', body))).toBe(false);
    expect(verifySignature('s3cret', Buffer.concat([body, Buffer.from(' ')]), signBody('s3cret', body))).toBe(
      false,
    );
    expect(verifySignature('s3cret', body, 'sha256=zz')).toBe(false);
    expect(verifySignature('s3cret', body, signBody('s3cret', body).replace('sha256=', 'sha1='))).toBe(false);
    expect(verifySignature('s3cret', body, undefined)).toBe(false);
  });
});
