import { describe, expect, it } from 'vitest';
import { MEDIA_MIME_TYPES, baseMimeType, checkMedia, mediaLimitFor, type MediaKind } from './media-limits.ts';

const KB = 1024;
const MB = 1024 * KB;

describe('mediaLimitFor and MEDIA_MIME_TYPES', () => {
  it('has Meta’s size per type', () => {
    expect(mediaLimitFor('audio')).toBe(16 * MB);
    expect(mediaLimitFor('document')).toBe(100 * MB);
    expect(mediaLimitFor('image')).toBe(5 * MB);
    expect(mediaLimitFor('video')).toBe(16 * MB);
    expect(mediaLimitFor('sticker')).toBe(100 * KB);
    expect(mediaLimitFor('sticker', { animated: false })).toBe(100 * KB);
    expect(mediaLimitFor('sticker', { animated: true })).toBe(500 * KB);
  });

  it('ignores animated for everything but stickers', () => {
    expect(mediaLimitFor('image', { animated: true })).toBe(5 * MB);
  });

  it('lists the supported MIME types per type', () => {
    expect(MEDIA_MIME_TYPES.image).toEqual(['image/jpeg', 'image/png']);
    expect(MEDIA_MIME_TYPES.sticker).toEqual(['image/webp']);
    expect(MEDIA_MIME_TYPES.video).toEqual(['video/3gp', 'video/mp4']);
    expect(MEDIA_MIME_TYPES.audio).toContain('audio/ogg');
    expect(MEDIA_MIME_TYPES.document).toContain('application/pdf');
    expect(MEDIA_MIME_TYPES.document).toHaveLength(8);
  });
});

describe('checkMedia', () => {
  const accepted: [MediaKind, string][] = [
    ['audio', 'audio/aac'],
    ['audio', 'audio/ogg; codecs=opus'],
    ['document', 'application/pdf'],
    ['document', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['image', 'IMAGE/JPEG'],
    ['sticker', 'image/webp'],
    ['video', 'video/mp4'],
  ];

  it.each(accepted)('accepts %s as %s within the limit', (kind, mime) => {
    expect(checkMedia(kind, mime, 1000)).toEqual({ ok: true });
  });

  it('accepts exactly the limit and refuses one byte more', () => {
    expect(checkMedia('image', 'image/png', 5 * MB)).toEqual({ ok: true });
    const over = checkMedia('image', 'image/png', 5 * MB + 1);
    expect(over).toMatchObject({ ok: false, reason: 'too_large' });
    expect(over.ok ? '' : over.message).toContain(String(5 * MB));
  });

  it('uses the animated sticker limit only for animated stickers', () => {
    expect(checkMedia('sticker', 'image/webp', 200 * KB)).toMatchObject({ ok: false, reason: 'too_large' });
    expect(checkMedia('sticker', 'image/webp', 200 * KB, { animated: true })).toEqual({ ok: true });
    expect(checkMedia('sticker', 'image/webp', 500 * KB + 1, { animated: true })).toMatchObject({
      ok: false,
      reason: 'too_large',
    });
  });

  it('refuses MIME types the kind does not support', () => {
    for (const [kind, mime] of [
      ['image', 'image/gif'],
      ['image', 'image/webp'],
      ['sticker', 'image/png'],
      ['video', 'video/quicktime'],
      ['document', 'application/zip'],
      ['audio', ''],
    ] as const) {
      const result = checkMedia(kind, mime, 10);
      expect(result, `${kind} ${mime}`).toMatchObject({ ok: false, reason: 'unsupported_mime' });
    }
  });

  it('reports an unsupported type before the size', () => {
    expect(checkMedia('image', 'image/gif', 50 * MB)).toMatchObject({ reason: 'unsupported_mime' });
  });

  it('refuses a size that is not a byte count', () => {
    expect(() => checkMedia('image', 'image/png', -1)).toThrow(RangeError);
    expect(() => checkMedia('image', 'image/png', Number.NaN)).toThrow(RangeError);
  });
});

describe('baseMimeType', () => {
  it('drops parameters and case', () => {
    expect(baseMimeType(' Audio/OGG ; codecs=opus')).toBe('audio/ogg');
    expect(baseMimeType('image/jpeg')).toBe('image/jpeg');
  });
});
