/**
 * What the business asks to send, independent of the Graph API's JSON. The send API validates
 * requests into these; policy checks them; the WhatsApp adapter turns them into Cloud API payloads.
 */

export type MediaKind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

/** Media by Meta media id (uploaded before) or by a public HTTPS link Meta fetches itself. */
export interface OutboundMedia {
  id?: string;
  link?: string;
  caption?: string;
  /** documents only: the file name the customer sees */
  filename?: string;
  /** audio only: send as a voice note */
  voice?: boolean;
}

export type TemplateParameter =
  | { type: 'text'; text: string; /** named-parameter templates only */ parameterName?: string }
  | { type: 'currency'; fallbackValue: string; code: string; amount1000: number; parameterName?: string }
  | { type: 'date_time'; fallbackValue: string; parameterName?: string };

export type TemplateHeaderParameter =
  | { type: 'text'; text: string; parameterName?: string }
  | { type: 'image' | 'video' | 'document'; media: OutboundMedia }
  | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string };

export interface TemplateButtonParameter {
  /** position of the button in the template, 0-based */
  index: number;
  subType: 'url' | 'quick_reply' | 'copy_code';
  /** URL suffix for dynamic URL buttons, payload for quick replies, the code for copy_code */
  value: string;
}

export interface TemplateSend {
  name: string;
  language: string;
  header?: TemplateHeaderParameter;
  /** positional ({{1}}, {{2}}…) in order, or named ({{order_id}}) with parameterName set */
  body?: TemplateParameter[];
  buttons?: TemplateButtonParameter[];
}

export interface ReplyButton {
  id: string;
  title: string;
}

export interface ListSection {
  title?: string;
  rows: { id: string; title: string; description?: string }[];
}

export type InteractiveHeader =
  { type: 'text'; text: string } | { type: 'image' | 'video' | 'document'; media: OutboundMedia };

export type OutboundInteractive =
  | { type: 'button'; header?: InteractiveHeader; body: string; footer?: string; buttons: ReplyButton[] }
  | {
      type: 'list';
      header?: { type: 'text'; text: string };
      body: string;
      footer?: string;
      buttonText: string;
      sections: ListSection[];
    }
  | {
      type: 'cta_url';
      header?: InteractiveHeader;
      body: string;
      footer?: string;
      displayText: string;
      url: string;
    };

export type OutboundContent =
  | { type: 'text'; body: string; previewUrl?: boolean }
  | { type: MediaKind; media: OutboundMedia }
  | { type: 'template'; template: TemplateSend }
  | { type: 'interactive'; interactive: OutboundInteractive }
  /** emoji '' removes the business's reaction */
  | { type: 'reaction'; targetWamid: string; emoji: string };

export interface OutboundMessage {
  /** the customer's WhatsApp id (digits) */
  to: string;
  content: OutboundContent;
  /** reply to this message (shown quoted to the customer) */
  replyToWamid?: string;
}

/** A template as stored from Meta (GET /{waba-id}/message_templates). */
export interface TemplateRecord {
  name: string;
  language: string;
  /** MARKETING | UTILITY | AUTHENTICATION */
  category: string | null;
  /** APPROVED | PENDING | REJECTED | PAUSED | DISABLED | … */
  status: string;
  /** 'positional' ({{1}}) or 'named' ({{first_name}}) */
  parameterFormat: 'positional' | 'named';
  /** Meta's component objects: HEADER / BODY / FOOTER / BUTTONS with text, format, buttons, example */
  components: unknown[];
}

export type ConsentState = {
  marketing: 'opted_in' | 'opted_out' | 'unknown';
  all: 'opted_in' | 'opted_out' | 'unknown';
};

/** A rule the send broke, with a stable code; the HTTP edge answers 422 with it. */
export interface PolicyViolation {
  code:
    | 'invalid_message'
    | 'window_closed'
    | 'template_not_found'
    | 'template_not_approved'
    | 'template_language_not_found'
    | 'template_parameter_count'
    | 'template_parameter_format'
    | 'recipient_opted_out'
    | 'messaging_tier_limit'
    | 'reaction_target_too_old'
    | 'unsupported_combination';
  message: string;
  /** the request field at fault (e.g. "content.interactive.buttons[3].title"), when there is one */
  field?: string;
  details?: Record<string, unknown>;
}
