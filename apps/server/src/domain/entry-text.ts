import type { MediaRef, MessageContent } from './inbound-event.ts';

/**
 * A plain-text line for a message, for conversation lists and search. It is data, never markup:
 * whoever renders it must escape it.
 */
export function entryTextOf(content: MessageContent): string | null {
  switch (content.type) {
    case 'text':
      return content.body;
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker':
      return content.media.caption ?? content.media.fileName ?? null;
    case 'location':
      return (
        [content.name, content.address].filter(Boolean).join(', ') ||
        `${content.latitude},${content.longitude}`
      );
    case 'contacts':
      return (
        content.contacts
          .map((c) => c.name.formatted_name ?? '')
          .filter(Boolean)
          .join(', ') || null
      );
    case 'interactive':
      switch (content.reply.kind) {
        case 'button_reply':
        case 'list_reply':
          return content.reply.title;
        case 'nfm_reply':
          return content.reply.body ?? content.reply.name;
        default:
          return null;
      }
    case 'button':
      return content.text;
    case 'reaction':
      return content.emoji || null;
    case 'order':
      return content.text ?? `${content.items.length} item(s)`;
    case 'system':
      return content.body;
    case 'edit':
      return entryTextOf(content.newContent);
    case 'revoke':
      return null;
    case 'unsupported':
      return content.errors[0]?.title ?? null;
  }
}

/** The media a message carries, if any (one per WhatsApp message). */
export function mediaOf(content: MessageContent): (MediaRef & { kind: string }) | null {
  switch (content.type) {
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker':
      return { ...content.media, kind: content.type };
    default:
      return null;
  }
}

/** System notices (number changed) are not the customer writing: they do not open the care window. */
export function opensCareWindow(content: MessageContent): boolean {
  return content.type !== 'system';
}
