/**
 * OutboundMessage → the JSON body of POST /{phone-number-id}/messages, in the shapes Meta documents
 * per message type. Validation happens before (domain/outbound-validation.ts); this only translates.
 */
import type {
  InteractiveHeader,
  OutboundContent,
  OutboundInteractive,
  OutboundMedia,
  OutboundMessage,
  TemplateButtonParameter,
  TemplateHeaderParameter,
  TemplateParameter,
  TemplateSend,
} from '../../domain/outbound.ts';

type Json = Record<string, unknown>;

export interface GraphMessageOptions {
  /** echoed back on every status webhook for this message (we put the outbound entry id there) */
  bizOpaqueCallbackData?: string;
}

export function toGraphMessage(message: OutboundMessage, options: GraphMessageOptions = {}): Json {
  const { content } = message;
  const body: Json = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: message.to,
    type: content.type,
    [content.type]: contentObject(content),
  };
  if (message.replyToWamid !== undefined) body['context'] = { message_id: message.replyToWamid };
  if (options.bizOpaqueCallbackData !== undefined)
    body['biz_opaque_callback_data'] = options.bizOpaqueCallbackData;
  return body;
}

/** Marks an inbound message read (blue ticks); the typing indicator shows for up to 25 s or until we reply. */
export function toGraphMarkRead(wamid: string, typingIndicator: boolean): Json {
  const body: Json = { messaging_product: 'whatsapp', status: 'read', message_id: wamid };
  if (typingIndicator) body['typing_indicator'] = { type: 'text' };
  return body;
}

function contentObject(content: OutboundContent): Json {
  switch (content.type) {
    case 'text':
      return withOptional({ body: content.body }, { preview_url: content.previewUrl });
    case 'template':
      return templateObject(content.template);
    case 'interactive':
      return interactiveObject(content.interactive);
    case 'reaction':
      return { message_id: content.targetWamid, emoji: content.emoji };
    case 'image':
    case 'video':
      return withOptional(mediaRef(content.media), { caption: content.media.caption });
    case 'document':
      return withOptional(mediaRef(content.media), {
        caption: content.media.caption,
        filename: content.media.filename,
      });
    case 'audio':
      return withOptional(mediaRef(content.media), { voice: content.media.voice });
    case 'sticker':
      return mediaRef(content.media);
  }
}

/** Meta takes an uploaded media id or a link, never both; the id wins if a caller gave both. */
function mediaRef(media: OutboundMedia): Json {
  return media.id !== undefined && media.id !== '' ? { id: media.id } : { link: media.link };
}

function templateObject(template: TemplateSend): Json {
  const components: Json[] = [];
  if (template.header !== undefined)
    components.push({ type: 'header', parameters: [headerParameter(template.header)] });
  if (template.body !== undefined && template.body.length > 0) {
    components.push({ type: 'body', parameters: template.body.map(bodyParameter) });
  }
  for (const button of [...(template.buttons ?? [])].sort((a, b) => a.index - b.index)) {
    components.push({
      type: 'button',
      sub_type: button.subType,
      index: String(button.index),
      parameters: [buttonParameter(button)],
    });
  }
  const result: Json = { name: template.name, language: { code: template.language } };
  if (components.length > 0) result['components'] = components;
  return result;
}

function headerParameter(header: TemplateHeaderParameter): Json {
  switch (header.type) {
    case 'text':
      return named({ type: 'text', text: header.text }, header.parameterName);
    case 'location':
      return {
        type: 'location',
        location: withOptional(
          { latitude: header.latitude, longitude: header.longitude },
          { name: header.name, address: header.address },
        ),
      };
    case 'document':
      return {
        type: 'document',
        document: withOptional(mediaRef(header.media), { filename: header.media.filename }),
      };
    default:
      return { type: header.type, [header.type]: mediaRef(header.media) };
  }
}

function bodyParameter(parameter: TemplateParameter): Json {
  switch (parameter.type) {
    case 'text':
      return named({ type: 'text', text: parameter.text }, parameter.parameterName);
    case 'currency':
      return named(
        {
          type: 'currency',
          currency: {
            fallback_value: parameter.fallbackValue,
            code: parameter.code,
            amount_1000: parameter.amount1000,
          },
        },
        parameter.parameterName,
      );
    case 'date_time':
      return named(
        { type: 'date_time', date_time: { fallback_value: parameter.fallbackValue } },
        parameter.parameterName,
      );
  }
}

/** URL buttons take the URL suffix as text, quick replies a payload, copy-code buttons the code. */
function buttonParameter(button: TemplateButtonParameter): Json {
  switch (button.subType) {
    case 'url':
      return { type: 'text', text: button.value };
    case 'quick_reply':
      return { type: 'payload', payload: button.value };
    case 'copy_code':
      return { type: 'coupon_code', coupon_code: button.value };
  }
}

function interactiveObject(interactive: OutboundInteractive): Json {
  const result: Json = { type: interactive.type };
  if (interactive.header !== undefined) result['header'] = interactiveHeader(interactive.header);
  result['body'] = { text: interactive.body };
  if (interactive.footer !== undefined) result['footer'] = { text: interactive.footer };
  switch (interactive.type) {
    case 'button':
      result['action'] = {
        buttons: interactive.buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })),
      };
      break;
    case 'list':
      result['action'] = {
        button: interactive.buttonText,
        sections: interactive.sections.map((s) =>
          withOptional(
            {},
            {
              title: s.title,
              rows: s.rows.map((r) =>
                withOptional({ id: r.id, title: r.title }, { description: r.description }),
              ),
            },
          ),
        ),
      };
      break;
    case 'cta_url':
      result['action'] = {
        name: 'cta_url',
        parameters: { display_text: interactive.displayText, url: interactive.url },
      };
      break;
  }
  return result;
}

function interactiveHeader(header: InteractiveHeader): Json {
  if (header.type === 'text') return { type: 'text', text: header.text };
  if (header.type === 'document') {
    return {
      type: 'document',
      document: withOptional(mediaRef(header.media), { filename: header.media.filename }),
    };
  }
  return { type: header.type, [header.type]: mediaRef(header.media) };
}

/** Named-parameter templates identify each value by parameter_name. */
function named(parameter: Json, parameterName: string | undefined): Json {
  return parameterName === undefined ? parameter : { ...parameter, parameter_name: parameterName };
}

/** Adds the fields that are set; Graph rejects some explicit nulls, so absent means absent. */
function withOptional(base: Json, optional: Record<string, unknown>): Json {
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) result[key] = value;
  return result;
}
