import { createHash, randomBytes } from 'node:crypto';
import { newNumericId } from '../store.ts';

export type MediaKind = 'audio' | 'document' | 'image' | 'sticker' | 'video';

const MB = 1024 * 1024;
const KB = 1024;

/** Meta's supported MIME types and size limits per media type. */
export const MEDIA_RULES: Record<MediaKind, { mimeTypes: string[]; maxBytes: number }> = {
  audio: { mimeTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * MB },
  document: {
    mimeTypes: [
      'text/plain',
      'application/pdf',
      'application/vnd.ms-powerpoint',
      'application/msword',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ],
    maxBytes: 100 * MB,
  },
  image: { mimeTypes: ['image/jpeg', 'image/png'], maxBytes: 5 * MB },
  // static stickers 100 KB, animated 500 KB (see stickerLimit)
  sticker: { mimeTypes: ['image/webp'], maxBytes: 500 * KB },
  video: { mimeTypes: ['video/3gpp', 'video/mp4'], maxBytes: 16 * MB },
};

export const STATIC_STICKER_MAX_BYTES = 100 * KB;

/** The bare MIME type ("audio/ogg; codecs=opus" → "audio/ogg"). */
export function baseMime(mime: string): string {
  return (mime.split(';')[0] ?? '').trim().toLowerCase();
}

export function kindOfMime(mime: string): MediaKind | null {
  const base = baseMime(mime);
  for (const [kind, rule] of Object.entries(MEDIA_RULES) as [MediaKind, (typeof MEDIA_RULES)[MediaKind]][]) {
    if (kind !== 'sticker' && rule.mimeTypes.includes(base)) return kind;
  }
  return base === 'image/webp' ? 'sticker' : null;
}

/** An animated WebP has a VP8X chunk whose flags carry the animation bit. */
export function isAnimatedWebp(data: Buffer): boolean {
  return data.length > 21 && data.toString('latin1', 12, 16) === 'VP8X' && ((data[20] ?? 0) & 0x02) !== 0;
}

export interface MediaRecord {
  id: string;
  /** business number that uploaded it, or that received it from a customer */
  phoneNumberId: string;
  mimeType: string;
  data: Buffer;
  sha256Hex: string;
  /** webhooks carry the hash base64-encoded */
  sha256Base64: string;
  fileName: string | null;
  createdAt: Date;
}

/** Uploaded and customer-sent media, plus the short-lived download URLs handed out for them. */
export class MediaStore {
  private readonly items = new Map<string, MediaRecord>();
  /** download token → media id and expiry (simulator clock, ms) */
  private readonly urls = new Map<string, { mediaId: string; expiresAt: number }>();

  put(
    phoneNumberId: string,
    mimeType: string,
    data: Buffer,
    fileName: string | null,
    now: Date,
  ): MediaRecord {
    const digest = createHash('sha256').update(data).digest();
    const record: MediaRecord = {
      id: newNumericId(),
      phoneNumberId,
      mimeType,
      data,
      sha256Hex: digest.toString('hex'),
      sha256Base64: digest.toString('base64'),
      fileName,
      createdAt: now,
    };
    this.items.set(record.id, record);
    return record;
  }

  get(id: string): MediaRecord | undefined {
    return this.items.get(id);
  }

  delete(id: string): boolean {
    return this.items.delete(id);
  }

  issueUrlToken(mediaId: string, expiresAt: number): string {
    const token = randomBytes(18).toString('base64url');
    this.urls.set(token, { mediaId, expiresAt });
    return token;
  }

  /** The media a download token points at, if the token is known and not expired. */
  resolveUrlToken(token: string, now: number): MediaRecord | 'expired' | undefined {
    const entry = this.urls.get(token);
    if (!entry) return undefined;
    if (now >= entry.expiresAt) {
      this.urls.delete(token);
      return 'expired';
    }
    return this.items.get(entry.mediaId);
  }
}
