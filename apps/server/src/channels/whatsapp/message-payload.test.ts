import { describe, expect, it } from 'vitest';
import type { OutboundContent, OutboundMessage, TemplateHeaderParameter } from '../../domain/outbound.ts';
import { toGraphMarkRead, toGraphMessage } from './message-payload.ts';

// Expected bodies are written by hand from Meta's Messages API reference, one per message type.
const to = '15551234567';
const send = (content: OutboundContent, extra: Partial<OutboundMessage> = {}) =>
  toGraphMessage({ to, content, ...extra });

describe('toGraphMessage: text and context', () => {
  it('builds a text message', () => {
    expect(send({ type: 'text', body: 'Hello *world*' })).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15551234567',
      type: 'text',
      text: { body: 'Hello *world*' },
    });
  });

  it('passes preview_url, context and biz_opaque_callback_data', () => {
    expect(
      toGraphMessage(
        {
          to,
          content: { type: 'text', body: 'See https://x.test', previewUrl: true },
          replyToWamid: 'wamid.IN1',
        },
        { bizOpaqueCallbackData: 'ent_42' },
      ),
    ).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15551234567',
      type: 'text',
      text: { body: 'See https://x.test', preview_url: true },
      context: { message_id: 'wamid.IN1' },
      biz_opaque_callback_data: 'ent_42',
    });
    expect(send({ type: 'text', body: 'x', previewUrl: false })['text']).toEqual({
      body: 'x',
      preview_url: false,
    });
  });
});

describe('toGraphMessage: media', () => {
  it('image by id with caption', () => {
    expect(
      send({ type: 'image', media: { id: '1479537139650973', caption: 'The best succulent ever?' } }),
    ).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15551234567',
      type: 'image',
      image: { id: '1479537139650973', caption: 'The best succulent ever?' },
    });
  });

  it('document by link with caption and filename', () => {
    expect(
      send({
        type: 'document',
        media: { link: 'https://x.test/invoice.pdf', caption: 'Invoice', filename: 'invoice.pdf' },
      })['document'],
    ).toEqual({ link: 'https://x.test/invoice.pdf', caption: 'Invoice', filename: 'invoice.pdf' });
  });

  it('audio as a voice note, video, sticker', () => {
    expect(send({ type: 'audio', media: { id: '55', voice: true } })['audio']).toEqual({
      id: '55',
      voice: true,
    });
    expect(send({ type: 'audio', media: { link: 'https://x.test/a.mp3' } })['audio']).toEqual({
      link: 'https://x.test/a.mp3',
    });
    expect(send({ type: 'video', media: { id: '66', caption: 'Demo' } })['video']).toEqual({
      id: '66',
      caption: 'Demo',
    });
    expect(send({ type: 'sticker', media: { id: '77' } })).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15551234567',
      type: 'sticker',
      sticker: { id: '77' },
    });
  });
});

describe('toGraphMessage: template', () => {
  it('positional parameters with a media header and button parameters', () => {
    expect(
      send({
        type: 'template',
        template: {
          name: 'order_shipped',
          language: 'en_US',
          header: { type: 'image', media: { link: 'https://x.test/box.png' } },
          body: [
            { type: 'text', text: 'Ana' },
            { type: 'currency', fallbackValue: '$100.99', code: 'USD', amount1000: 100990 },
            { type: 'date_time', fallbackValue: 'February 25, 1977' },
          ],
          buttons: [
            { index: 1, subType: 'quick_reply', value: 'STOP_UPDATES' },
            { index: 0, subType: 'url', value: 'A-1/track' },
          ],
        },
      }),
    ).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15551234567',
      type: 'template',
      template: {
        name: 'order_shipped',
        language: { code: 'en_US' },
        components: [
          { type: 'header', parameters: [{ type: 'image', image: { link: 'https://x.test/box.png' } }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 } },
              { type: 'date_time', date_time: { fallback_value: 'February 25, 1977' } },
            ],
          },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'A-1/track' }] },
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '1',
            parameters: [{ type: 'payload', payload: 'STOP_UPDATES' }],
          },
        ],
      },
    });
  });

  it('named parameters carry parameter_name; copy code sends coupon_code', () => {
    expect(
      send({
        type: 'template',
        template: {
          name: 'welcome',
          language: 'en',
          header: { type: 'text', text: 'Ana', parameterName: 'first_name' },
          body: [{ type: 'text', text: '10%', parameterName: 'discount' }],
          buttons: [{ index: 0, subType: 'copy_code', value: 'SAVE10' }],
        },
      })['template'],
    ).toEqual({
      name: 'welcome',
      language: { code: 'en' },
      components: [
        { type: 'header', parameters: [{ type: 'text', text: 'Ana', parameter_name: 'first_name' }] },
        { type: 'body', parameters: [{ type: 'text', text: '10%', parameter_name: 'discount' }] },
        {
          type: 'button',
          sub_type: 'copy_code',
          index: '0',
          parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }],
        },
      ],
    });
  });

  it('location and document headers; no components when there are no parameters', () => {
    const header = (h: TemplateHeaderParameter) =>
      (
        send({ type: 'template', template: { name: 't', language: 'en', header: h } })['template'] as {
          components: unknown[];
        }
      ).components[0];
    expect(
      header({ type: 'location', latitude: 37.48, longitude: -122.14, name: 'HQ', address: '1 Hacker Way' }),
    ).toEqual({
      type: 'header',
      parameters: [
        {
          type: 'location',
          location: { latitude: 37.48, longitude: -122.14, name: 'HQ', address: '1 Hacker Way' },
        },
      ],
    });
    expect(header({ type: 'document', media: { id: '9', filename: 'inv.pdf' } })).toEqual({
      type: 'header',
      parameters: [{ type: 'document', document: { id: '9', filename: 'inv.pdf' } }],
    });
    expect(
      send({ type: 'template', template: { name: 'hello_world', language: 'en_US' } })['template'],
    ).toEqual({
      name: 'hello_world',
      language: { code: 'en_US' },
    });
  });
});

describe('toGraphMessage: interactive', () => {
  it('reply buttons', () => {
    expect(
      send({
        type: 'interactive',
        interactive: {
          type: 'button',
          header: { type: 'image', media: { id: '2762702990552401' } },
          body: 'Hi Pablo! Your gardening workshop is scheduled for 9am tomorrow.',
          footer: 'Lucky Shrub',
          buttons: [
            { id: 'change-button', title: 'Change' },
            { id: 'cancel-button', title: 'Cancel' },
          ],
        },
      }),
    ).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15551234567',
      type: 'interactive',
      interactive: {
        type: 'button',
        header: { type: 'image', image: { id: '2762702990552401' } },
        body: { text: 'Hi Pablo! Your gardening workshop is scheduled for 9am tomorrow.' },
        footer: { text: 'Lucky Shrub' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'change-button', title: 'Change' } },
            { type: 'reply', reply: { id: 'cancel-button', title: 'Cancel' } },
          ],
        },
      },
    });
  });

  it('list', () => {
    expect(
      send({
        type: 'interactive',
        interactive: {
          type: 'list',
          header: { type: 'text', text: 'Choose Shipping Option' },
          body: 'Which shipping option do you prefer?',
          buttonText: 'Shipping Options',
          sections: [
            {
              title: 'I want it ASAP!',
              rows: [
                { id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' },
                { id: 'priority_mail', title: 'Priority Mail' },
              ],
            },
          ],
        },
      })['interactive'],
    ).toEqual({
      type: 'list',
      header: { type: 'text', text: 'Choose Shipping Option' },
      body: { text: 'Which shipping option do you prefer?' },
      action: {
        button: 'Shipping Options',
        sections: [
          {
            title: 'I want it ASAP!',
            rows: [
              { id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' },
              { id: 'priority_mail', title: 'Priority Mail' },
            ],
          },
        ],
      },
    });
  });

  it('cta_url', () => {
    expect(
      send({
        type: 'interactive',
        interactive: {
          type: 'cta_url',
          header: { type: 'text', text: 'Available Dates' },
          body: 'Tap the button below to see available dates.',
          footer: 'Dates subject to change.',
          displayText: 'See Dates',
          url: 'https://www.luckyshrub.com?clickID=kqDGWd24Q5TRwoEQTICY7W1JKoXvaZOXWAS7h1P76s0R7Paec4',
        },
      })['interactive'],
    ).toEqual({
      type: 'cta_url',
      header: { type: 'text', text: 'Available Dates' },
      body: { text: 'Tap the button below to see available dates.' },
      footer: { text: 'Dates subject to change.' },
      action: {
        name: 'cta_url',
        parameters: {
          display_text: 'See Dates',
          url: 'https://www.luckyshrub.com?clickID=kqDGWd24Q5TRwoEQTICY7W1JKoXvaZOXWAS7h1P76s0R7Paec4',
        },
      },
    });
  });

  it('document header with a file name', () => {
    expect(
      (
        send({
          type: 'interactive',
          interactive: {
            type: 'cta_url',
            header: { type: 'document', media: { link: 'https://x.test/menu.pdf', filename: 'menu.pdf' } },
            body: 'Our menu',
            displayText: 'Order',
            url: 'https://x.test/order',
          },
        })['interactive'] as Record<string, unknown>
      )['header'],
    ).toEqual({ type: 'document', document: { link: 'https://x.test/menu.pdf', filename: 'menu.pdf' } });
  });
});

describe('toGraphMessage: reaction', () => {
  it('sends and removes a reaction', () => {
    expect(send({ type: 'reaction', targetWamid: 'wamid.HBgL', emoji: '\uD83D\uDE00' })).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15551234567',
      type: 'reaction',
      reaction: { message_id: 'wamid.HBgL', emoji: '😀' },
    });
    expect(send({ type: 'reaction', targetWamid: 'wamid.HBgL', emoji: '' })['reaction']).toEqual({
      message_id: 'wamid.HBgL',
      emoji: '',
    });
  });
});

describe('toGraphMarkRead', () => {
  it('marks read, with or without the typing indicator', () => {
    expect(toGraphMarkRead('wamid.IN1', false)).toEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.IN1',
    });
    expect(toGraphMarkRead('wamid.IN1', true)).toEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.IN1',
      typing_indicator: { type: 'text' },
    });
  });
});
