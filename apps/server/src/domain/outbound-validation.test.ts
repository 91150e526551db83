import { describe, expect, it } from 'vitest';
import type { OutboundContent, OutboundInteractive, OutboundMessage, TemplateSend } from './outbound.ts';
import { isSingleEmoji, validateOutbound } from './outbound-validation.ts';

const to = '15551234567';
const msg = (content: OutboundContent, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  to,
  content,
  ...extra,
});
const fields = (message: OutboundMessage): string[] => validateOutbound(message).map((v) => v.field ?? '');
const interactive = (i: OutboundInteractive): OutboundMessage => msg({ type: 'interactive', interactive: i });
const template = (t: Partial<TemplateSend>): OutboundMessage =>
  msg({ type: 'template', template: { name: 'order_update', language: 'en_US', ...t } });
const repeat = (n: number, ch = 'a'): string => ch.repeat(n);

describe('validateOutbound: recipient and reply', () => {
  it('accepts a plain text message', () => {
    expect(validateOutbound(msg({ type: 'text', body: 'Hello' }))).toEqual([]);
  });

  it.each(['12345', '1234567890123456', '+15551234567', '1555 123 4567', ''])('refuses to = %j', (bad) => {
    const [violation] = validateOutbound({ to: bad, content: { type: 'text', body: 'Hi' } });
    expect(violation).toMatchObject({ code: 'invalid_message', field: 'to' });
  });

  it('accepts 6 and 15 digits', () => {
    expect(fields({ to: '123456', content: { type: 'text', body: 'Hi' } })).toEqual([]);
    expect(fields({ to: '123456789012345', content: { type: 'text', body: 'Hi' } })).toEqual([]);
  });

  it('refuses an empty replyToWamid and a quoted reaction', () => {
    expect(fields(msg({ type: 'text', body: 'Hi' }, { replyToWamid: '' }))).toEqual(['replyToWamid']);
    const [violation] = validateOutbound(
      msg({ type: 'reaction', targetWamid: 'wamid.A', emoji: '👍' }, { replyToWamid: 'wamid.B' }),
    );
    expect(violation).toMatchObject({ code: 'unsupported_combination', field: 'replyToWamid' });
  });
});

describe('validateOutbound: text', () => {
  it('allows 1 to 4096 characters, counting an emoji as one', () => {
    expect(fields(msg({ type: 'text', body: repeat(4096) }))).toEqual([]);
    expect(fields(msg({ type: 'text', body: repeat(4096, '😀') }))).toEqual([]);
    expect(fields(msg({ type: 'text', body: '' }))).toEqual(['content.body']);
    const [violation] = validateOutbound(msg({ type: 'text', body: repeat(4097) }));
    expect(violation).toEqual({
      code: 'invalid_message',
      field: 'content.body',
      message: 'content.body is 4097 characters; the limit is 4096',
      details: { length: 4097, max: 4096 },
    });
  });
});

describe('validateOutbound: media', () => {
  it('accepts an id or an https link', () => {
    expect(fields(msg({ type: 'image', media: { id: '1234', caption: 'Hi' } }))).toEqual([]);
    expect(
      fields(msg({ type: 'document', media: { link: 'https://x.test/a.pdf', filename: 'a.pdf' } })),
    ).toEqual([]);
    expect(fields(msg({ type: 'audio', media: { id: '1', voice: true } }))).toEqual([]);
  });

  it('needs exactly one of id and link', () => {
    expect(fields(msg({ type: 'image', media: {} }))).toEqual(['content.media']);
    expect(fields(msg({ type: 'image', media: { id: '1', link: 'https://x.test/a.png' } }))).toEqual([
      'content.media',
    ]);
  });

  it('refuses links that are not https', () => {
    expect(fields(msg({ type: 'video', media: { link: 'http://x.test/a.mp4' } }))).toEqual([
      'content.media.link',
    ]);
    expect(fields(msg({ type: 'video', media: { link: 'not a url' } }))).toEqual(['content.media.link']);
  });

  it('limits captions to 1024 and refuses them on audio and stickers', () => {
    expect(fields(msg({ type: 'image', media: { id: '1', caption: repeat(1024) } }))).toEqual([]);
    expect(fields(msg({ type: 'image', media: { id: '1', caption: repeat(1025) } }))).toEqual([
      'content.media.caption',
    ]);
    expect(fields(msg({ type: 'audio', media: { id: '1', caption: 'x' } }))).toEqual([
      'content.media.caption',
    ]);
    expect(fields(msg({ type: 'sticker', media: { id: '1', caption: 'x' } }))).toEqual([
      'content.media.caption',
    ]);
  });

  it('allows a file name on documents only and voice on audio only', () => {
    expect(fields(msg({ type: 'image', media: { id: '1', filename: 'a.png' } }))).toEqual([
      'content.media.filename',
    ]);
    expect(fields(msg({ type: 'video', media: { id: '1', voice: true } }))).toEqual(['content.media.voice']);
  });
});

describe('validateOutbound: reply buttons', () => {
  const buttons = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `b${i}`, title: `Option ${i}` }));

  it('accepts 1 to 3 buttons with header and footer', () => {
    expect(
      fields(
        interactive({
          type: 'button',
          header: { type: 'text', text: repeat(60) },
          body: repeat(1024),
          footer: repeat(60),
          buttons: buttons(3),
        }),
      ),
    ).toEqual([]);
  });

  it('names the field at fault', () => {
    expect(fields(interactive({ type: 'button', body: 'Pick', buttons: buttons(4) }))).toEqual([
      'content.interactive.buttons',
    ]);
    expect(fields(interactive({ type: 'button', body: 'Pick', buttons: [] }))).toEqual([
      'content.interactive.buttons',
    ]);
    const long = buttons(3);
    long[2] = { id: repeat(257), title: repeat(21) };
    expect(fields(interactive({ type: 'button', body: 'Pick', buttons: long }))).toEqual([
      'content.interactive.buttons[2].id',
      'content.interactive.buttons[2].title',
    ]);
    expect(
      fields(
        interactive({
          type: 'button',
          header: { type: 'text', text: repeat(61) },
          body: repeat(1025),
          footer: repeat(61),
          buttons: buttons(1),
        }),
      ),
    ).toEqual(['content.interactive.header.text', 'content.interactive.body', 'content.interactive.footer']);
  });

  it('refuses duplicate ids and titles, pointing at the first', () => {
    const [id, title] = validateOutbound(
      interactive({
        type: 'button',
        body: 'Pick',
        buttons: [
          { id: 'a', title: 'Yes' },
          { id: 'a', title: 'Yes' },
        ],
      }),
    );
    expect(id).toMatchObject({ field: 'content.interactive.buttons[1].id' });
    expect(id?.message).toContain('content.interactive.buttons[0].id');
    expect(title).toMatchObject({ field: 'content.interactive.buttons[1].title' });
  });

  it('checks a media header: no caption, https link', () => {
    expect(
      fields(
        interactive({
          type: 'button',
          header: { type: 'image', media: { link: 'http://x.test/a.png', caption: 'no' } },
          body: 'Pick',
          buttons: buttons(1),
        }),
      ),
    ).toEqual(['content.interactive.header.media.link', 'content.interactive.header.media.caption']);
  });
});

describe('validateOutbound: list', () => {
  const row = (id: string) => ({ id, title: `Row ${id}` });

  it('accepts up to 10 sections and 10 rows in total', () => {
    const sections = Array.from({ length: 10 }, (_, s) => ({ title: `S${s}`, rows: [row(`r${s}`)] }));
    expect(fields(interactive({ type: 'list', body: 'Choose', buttonText: repeat(20), sections }))).toEqual(
      [],
    );
  });

  it('refuses more than 10 rows across sections', () => {
    const sections = [
      { title: 'A', rows: Array.from({ length: 6 }, (_, i) => row(`a${i}`)) },
      { title: 'B', rows: Array.from({ length: 5 }, (_, i) => row(`b${i}`)) },
    ];
    const violations = validateOutbound(
      interactive({ type: 'list', body: 'Choose', buttonText: 'Menu', sections }),
    );
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ field: 'content.interactive.sections' });
    expect(violations[0]?.message).toContain('11 rows');
  });

  it('refuses 0 or 11 sections and an empty or long button text', () => {
    expect(fields(interactive({ type: 'list', body: 'Choose', buttonText: '', sections: [] }))).toEqual([
      'content.interactive.buttonText',
      'content.interactive.sections',
    ]);
    const eleven = Array.from({ length: 11 }, (_, s) => ({ title: `S${s}`, rows: [] }));
    expect(
      fields(interactive({ type: 'list', body: 'Choose', buttonText: repeat(21), sections: eleven })),
    ).toContain('content.interactive.sections');
  });

  it('needs section titles when there is more than one section, and checks row lengths and ids', () => {
    expect(
      fields(
        interactive({
          type: 'list',
          body: 'Choose',
          buttonText: 'Menu',
          sections: [
            { rows: [row('x')] },
            {
              title: repeat(25),
              rows: [{ id: repeat(201), title: repeat(25), description: repeat(73) }, row('x')],
            },
          ],
        }),
      ),
    ).toEqual([
      'content.interactive.sections[0].title',
      'content.interactive.sections[1].title',
      'content.interactive.sections[1].rows[0].id',
      'content.interactive.sections[1].rows[0].title',
      'content.interactive.sections[1].rows[0].description',
      'content.interactive.sections[1].rows[1].id',
    ]);
  });

  it('allows one section without a title and a 72-character description', () => {
    expect(
      fields(
        interactive({
          type: 'list',
          body: 'Choose',
          buttonText: 'Menu',
          sections: [{ rows: [{ id: repeat(200), title: repeat(24), description: repeat(72) }] }],
        }),
      ),
    ).toEqual([]);
  });
});

describe('validateOutbound: cta_url', () => {
  it('needs display text of 1 to 20 and an http(s) url', () => {
    expect(
      fields(interactive({ type: 'cta_url', body: 'See', displayText: 'Open', url: 'http://x.test/a' })),
    ).toEqual([]);
    expect(
      fields(interactive({ type: 'cta_url', body: 'See', displayText: repeat(21), url: 'ftp://x.test' })),
    ).toEqual(['content.interactive.displayText', 'content.interactive.url']);
  });
});

describe('validateOutbound: reaction', () => {
  it.each(['👍', '', '👍🏽', '👨‍👩‍👧', '🇵🇹', '❤️', '1️⃣'])('accepts %j', (emoji) => {
    expect(fields(msg({ type: 'reaction', targetWamid: 'wamid.A', emoji }))).toEqual([]);
  });

  it.each(['👍👍', 'ok', 'a', ' '])('refuses %j', (emoji) => {
    expect(fields(msg({ type: 'reaction', targetWamid: 'wamid.A', emoji }))).toEqual(['content.emoji']);
  });

  it('needs a target', () => {
    expect(fields(msg({ type: 'reaction', targetWamid: '', emoji: '👍' }))).toEqual(['content.targetWamid']);
  });

  it('isSingleEmoji tells one emoji from text', () => {
    expect(isSingleEmoji('😀')).toBe(true);
    expect(isSingleEmoji('7')).toBe(false);
  });
});

describe('validateOutbound: template', () => {
  it('accepts a full template send', () => {
    expect(
      fields(
        template({
          header: { type: 'document', media: { id: '9', filename: 'invoice.pdf' } },
          body: [
            { type: 'text', text: 'Ana' },
            { type: 'currency', fallbackValue: '$10.00', code: 'USD', amount1000: 10000 },
            { type: 'date_time', fallbackValue: 'May 1' },
          ],
          buttons: [
            { index: 0, subType: 'url', value: 'abc' },
            { index: 1, subType: 'quick_reply', value: 'STOP' },
          ],
        }),
      ),
    ).toEqual([]);
  });

  it('needs a name and language', () => {
    expect(fields(template({ name: '', language: ' ' }))).toEqual([
      'content.template.name',
      'content.template.language',
    ]);
  });

  it('refuses mixed named and positional body parameters', () => {
    const [violation] = validateOutbound(
      template({
        body: [
          { type: 'text', text: 'a', parameterName: 'first_name' },
          { type: 'text', text: 'b' },
        ],
      }),
    );
    expect(violation).toMatchObject({ field: 'content.template.body', details: { named: 1, positional: 1 } });
  });

  it('refuses duplicate names, empty values, bad currency, bad button indexes', () => {
    expect(
      fields(
        template({
          body: [
            { type: 'text', text: '', parameterName: 'a' },
            { type: 'currency', fallbackValue: '1', code: 'usd', amount1000: 1.5, parameterName: 'a' },
          ],
          buttons: [
            { index: 10, subType: 'url', value: '' },
            { index: 10, subType: 'url', value: 'x' },
          ],
        }),
      ),
    ).toEqual([
      'content.template.body[0].text',
      'content.template.body[1].parameterName',
      'content.template.body[1].code',
      'content.template.body[1].amount1000',
      'content.template.buttons[0].index',
      'content.template.buttons[0].value',
      'content.template.buttons[1].index',
      'content.template.buttons[1].index',
    ]);
  });

  it('checks header media and location', () => {
    expect(fields(template({ header: { type: 'image', media: { id: '1', filename: 'a.png' } } }))).toEqual([
      'content.template.header.media.filename',
    ]);
    expect(fields(template({ header: { type: 'location', latitude: 91, longitude: -181 } }))).toEqual([
      'content.template.header.latitude',
      'content.template.header.longitude',
    ]);
  });
});
