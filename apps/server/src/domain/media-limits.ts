/**
 * Meta's per-type media limits ("Supported media types", WhatsApp Cloud API). Meta writes sizes in
 * MB/KB without saying which; we read them as binary (1 MB = 1024 × 1024 bytes), the more lenient
 * reading, so we never refuse a file Meta itself accepts.
 */

export type MediaKind = 'audio' | 'document' | 'image' | 'sticker' | 'video';

const KB = 1024;
const MB = 1024 * KB;

/** Lower-case MIME types without parameters. */
export const MEDIA_MIME_TYPES: Readonly<Record<MediaKind, readonly string[]>> = {
  // Meta: ogg only with the OPUS codec; the codec is not visible in the type, so ogg is accepted.
  audio: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
  document: [
    'text/plain',
    'application/pdf',
    'application/vnd.ms-excel',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/msword',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.ms-powerpoint',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  ],
  image: ['image/jpeg', 'image/png'],
  sticker: ['image/webp'],
  // Meta: H.264 video with AAC audio (or none); the codecs are not visible in the type.
  video: ['video/3gp', 'video/mp4'],
};

const MAX_BYTES = { audio: 16 * MB, document: 100 * MB, image: 5 * MB, video: 16 * MB } as const;
const STICKER_MAX_BYTES = { static: 100 * KB, animated: 500 * KB } as const;

export interface MediaOptions {
  /** stickers only: animated stickers may be larger */
  animated?: boolean;
}

/** The largest file Meta allows for this kind, in bytes. */
export function mediaLimitFor(kind: MediaKind, options: MediaOptions = {}): number {
  return kind === 'sticker'
    ? STICKER_MAX_BYTES[options.animated === true ? 'animated' : 'static']
    : MAX_BYTES[kind];
}

export type MediaCheck =
  { ok: true } | { ok: false; reason: 'too_large' | 'unsupported_mime'; message: string };

/** "Audio/OGG; codecs=opus" → "audio/ogg": parameters and case do not change the type. */
export function baseMimeType(mimeType: string): string {
  return (mimeType.split(';')[0] ?? '').trim().toLowerCase();
}

export function checkMedia(
  kind: MediaKind,
  mimeType: string,
  sizeBytes: number,
  options: MediaOptions = {},
): MediaCheck {
  if (!Number.isFinite(sizeBytes) || sizeBytes < 0) {
    throw new RangeError(`media size must be a non-negative number of bytes, got ${sizeBytes}`);
  }
  const maxBytes = mediaLimitFor(kind, options);
  const mimeTypes = MEDIA_MIME_TYPES[kind];
  const base = baseMimeType(mimeType);
  if (!mimeTypes.includes(base)) {
    return {
      ok: false,
      reason: 'unsupported_mime',
      message: `${kind} does not support ${base || 'an empty MIME type'} (supported: ${mimeTypes.join(', ')})`,
    };
  }
  if (sizeBytes > maxBytes) {
    return {
      ok: false,
      reason: 'too_large',
      message: `${describeKind(kind, options)} is ${sizeBytes} bytes; the limit is ${maxBytes} bytes`,
    };
  }
  return { ok: true };
}

function describeKind(kind: MediaKind, options: MediaOptions): string {
  if (kind !== 'sticker') return kind;
  return options.animated === true ? 'animated sticker' : 'static sticker';
}
