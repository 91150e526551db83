import { describe, expect, it } from 'vitest';
import type { TemplateRecord, TemplateSend } from './outbound.ts';
import { checkTemplateSend, renderTemplatePreview, templatePlaceholders } from './template-rules.ts';

// Component objects as Meta's GET /{waba-id}/message_templates returns them.
const orderShipped: TemplateRecord = {
  name: 'order_shipped',
  language: 'en_US',
  category: 'UTILITY',
  status: 'APPROVED',
  parameterFormat: 'positional',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['A-1'] } },
    {
      type: 'BODY',
      text: 'Hi {{1}}, your order {{2}} ships {{3}}. Thanks {{1}}!',
      example: { body_text: [['Ana', 'A-1', 'today']] },
    },
    { type: 'FOOTER', text: 'Reply STOP to opt out' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'URL', text: 'Track', url: 'https://shop.test/track/{{1}}', example: ['A-1'] },
        { type: 'QUICK_REPLY', text: 'Stop updates' },
        { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550100' },
      ],
    },
  ],
};

const welcomeNamed: TemplateRecord = {
  name: 'welcome',
  language: 'en_US',
  category: 'MARKETING',
  status: 'APPROVED',
  parameterFormat: 'named',
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://x.test/h.png'] } },
    {
      type: 'BODY',
      text: 'Welcome {{first_name}}! Use {{ code }} for {{discount}} off.',
      example: { body_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] },
    },
    { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'SAVE10' }] },
  ],
};

const otp: TemplateRecord = {
  name: 'login_code',
  language: 'en',
  category: 'AUTHENTICATION',
  status: 'APPROVED',
  parameterFormat: 'positional',
  components: [
    { type: 'BODY', text: '{{1}} is your verification code.' },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
  ],
};

const shippedSend: TemplateSend = {
  name: 'order_shipped',
  language: 'en_US',
  header: { type: 'text', text: 'A-1' },
  body: [
    { type: 'text', text: 'Ana' },
    { type: 'text', text: 'A-1' },
    { type: 'date_time', fallbackValue: 'today' },
  ],
  buttons: [{ index: 0, subType: 'url', value: 'A-1' }],
};

const welcomeSend: TemplateSend = {
  name: 'welcome',
  language: 'en_US',
  header: { type: 'image', media: { link: 'https://x.test/h.png' } },
  body: [
    { type: 'text', text: 'Ana', parameterName: 'first_name' },
    { type: 'text', text: 'SAVE10', parameterName: 'code' },
    { type: 'text', text: '10%', parameterName: 'discount' },
  ],
  buttons: [{ index: 0, subType: 'copy_code', value: 'SAVE10' }],
};

describe('templatePlaceholders', () => {
  it('reads text header, body (distinct, first-use order) and button variables', () => {
    expect(templatePlaceholders(orderShipped)).toEqual({
      headerFormat: 'text',
      header: ['1'],
      body: ['1', '2', '3'],
      buttons: [
        { index: 0, subType: 'url', placeholders: ['1'], parameter: 'required', label: 'Track' },
        { index: 1, subType: 'quick_reply', placeholders: [], parameter: 'optional', label: 'Stop updates' },
        { index: 2, subType: 'phone_number', placeholders: [], parameter: 'none', label: 'Call us' },
      ],
    });
  });

  it('reads media headers, named variables and copy-code buttons', () => {
    expect(templatePlaceholders(welcomeNamed)).toEqual({
      headerFormat: 'image',
      header: [],
      body: ['first_name', 'code', 'discount'],
      buttons: [
        { index: 0, subType: 'copy_code', placeholders: [], parameter: 'required', label: 'Copy code' },
      ],
    });
  });

  it('treats an OTP button as a url button that needs the code', () => {
    expect(templatePlaceholders(otp).buttons).toEqual([
      { index: 0, subType: 'url', placeholders: [], parameter: 'required', label: 'Copy code' },
    ]);
  });

  it('tolerates lower-case types, a missing header and junk components', () => {
    const record: TemplateRecord = {
      ...orderShipped,
      components: [null, 'x', { type: 'body', text: 'Hello {{1}}' }, { type: 'BUTTONS', buttons: 'nope' }],
    };
    expect(templatePlaceholders(record)).toEqual({
      headerFormat: null,
      header: [],
      body: ['1'],
      buttons: [],
    });
  });
});

describe('checkTemplateSend: existence and status', () => {
  it('passes a correct positional and a correct named send', () => {
    expect(checkTemplateSend(shippedSend, orderShipped, [])).toBeNull();
    expect(checkTemplateSend(welcomeSend, welcomeNamed, [])).toBeNull();
    expect(
      checkTemplateSend(
        {
          name: 'login_code',
          language: 'en',
          body: [{ type: 'text', text: '123456' }],
          buttons: [{ index: 0, subType: 'url', value: '123456' }],
        },
        otp,
        [],
      ),
    ).toBeNull();
  });

  it('template_not_found when no language has the name', () => {
    expect(checkTemplateSend({ name: 'nope', language: 'en_US' }, null, [])).toMatchObject({
      code: 'template_not_found',
      field: 'content.template.name',
      details: { name: 'nope' },
    });
  });

  it('template_language_not_found lists the languages that exist', () => {
    const es = { ...orderShipped, language: 'es' };
    const violation = checkTemplateSend({ ...shippedSend, language: 'pt_BR' }, null, [es, orderShipped, es]);
    expect(violation).toMatchObject({
      code: 'template_language_not_found',
      field: 'content.template.language',
      details: { name: 'order_shipped', language: 'pt_BR', languages: ['en_US', 'es'] },
    });
    expect(violation?.message).toContain('en_US, es');
  });

  it.each(['PENDING', 'REJECTED', 'PAUSED', 'DISABLED'])('template_not_approved when %s', (status) => {
    expect(checkTemplateSend(shippedSend, { ...orderShipped, status }, [])).toMatchObject({
      code: 'template_not_approved',
      details: { status },
    });
  });
});

describe('checkTemplateSend: parameter count', () => {
  it('reports expected and got per component', () => {
    const violation = checkTemplateSend(
      { ...shippedSend, header: undefined, body: shippedSend.body?.slice(0, 2) },
      orderShipped,
      [],
    );
    expect(violation).toEqual({
      code: 'template_parameter_count',
      field: 'content.template.header',
      message:
        'Template "order_shipped" was given the wrong number of parameters: header expects 1, got 0; body expects 3, got 2',
      details: {
        expected: { header: 1, body: 3, buttons: { 0: 1 } },
        got: { header: 0, body: 2, buttons: { 0: 1 } },
      },
    });
  });

  it('needs the dynamic URL and copy-code parameters, refuses them where there are none', () => {
    expect(checkTemplateSend({ ...shippedSend, buttons: [] }, orderShipped, [])).toMatchObject({
      code: 'template_parameter_count',
      field: 'content.template.buttons',
      details: { expected: { buttons: { 0: 1 } }, got: { buttons: {} } },
    });
    expect(
      checkTemplateSend(
        {
          ...shippedSend,
          buttons: [...(shippedSend.buttons ?? []), { index: 2, subType: 'url', value: 'x' }],
        },
        orderShipped,
        [],
      ),
    ).toMatchObject({
      code: 'template_parameter_count',
      details: { expected: { buttons: { 2: 0 } }, got: { buttons: { 2: 1 } } },
    });
    expect(checkTemplateSend({ ...welcomeSend, buttons: [] }, welcomeNamed, [])?.code).toBe(
      'template_parameter_count',
    );
  });

  it('takes an optional quick-reply payload or none', () => {
    const withPayload = {
      ...shippedSend,
      buttons: [...(shippedSend.buttons ?? []), { index: 1, subType: 'quick_reply' as const, value: 'STOP' }],
    };
    expect(checkTemplateSend(withPayload, orderShipped, [])).toBeNull();
  });

  it('needs exactly one media header parameter', () => {
    expect(checkTemplateSend({ ...welcomeSend, header: undefined }, welcomeNamed, [])).toMatchObject({
      code: 'template_parameter_count',
      details: { expected: { header: 1 }, got: { header: 0 } },
    });
  });
});

describe('checkTemplateSend: parameter format', () => {
  it('refuses a header of the wrong kind', () => {
    expect(
      checkTemplateSend({ ...welcomeSend, header: { type: 'video', media: { id: '1' } } }, welcomeNamed, []),
    ).toMatchObject({
      code: 'template_parameter_format',
      field: 'content.template.header.type',
      details: { expected: 'image', got: 'video' },
    });
  });

  it('refuses positional values for a named template', () => {
    const body = welcomeSend.body?.map((p) => ({
      type: 'text' as const,
      text: p.type === 'text' ? p.text : '',
    }));
    expect(checkTemplateSend({ ...welcomeSend, body }, welcomeNamed, [])).toMatchObject({
      code: 'template_parameter_format',
      field: 'content.template.body[0].parameterName',
      details: { parameterFormat: 'named', known: ['first_name', 'code', 'discount'] },
    });
  });

  it('refuses names for a positional template', () => {
    const body = shippedSend.body?.map((p, i) => ({ ...p, parameterName: `p${i}` }));
    expect(checkTemplateSend({ ...shippedSend, body }, orderShipped, [])).toMatchObject({
      code: 'template_parameter_format',
      field: 'content.template.body[0].parameterName',
      details: { parameterFormat: 'positional' },
    });
    const header = { type: 'text' as const, text: 'A-1', parameterName: 'order' };
    expect(checkTemplateSend({ ...shippedSend, header }, orderShipped, [])?.field).toBe(
      'content.template.header.parameterName',
    );
  });

  it('refuses unknown and repeated names', () => {
    const unknown = welcomeSend.body?.map((p, i) => (i === 2 ? { ...p, parameterName: 'percent' } : p));
    expect(checkTemplateSend({ ...welcomeSend, body: unknown }, welcomeNamed, [])).toMatchObject({
      field: 'content.template.body[2].parameterName',
      details: { unknown: 'percent' },
    });
    const twice = welcomeSend.body?.map((p, i) => (i === 2 ? { ...p, parameterName: 'code' } : p));
    expect(checkTemplateSend({ ...welcomeSend, body: twice }, welcomeNamed, [])).toMatchObject({
      field: 'content.template.body[2].parameterName',
      details: { duplicate: 'code' },
    });
  });

  it.each([
    ['', 'must not be empty'],
    ['   ', 'must not be empty'],
    ['line\nbreak', 'new lines or tabs'],
    ['tab\there', 'new lines or tabs'],
    ['five     spaces', 'more than 4 consecutive spaces'],
  ])('refuses the text parameter %j', (text, problem) => {
    const body = [{ type: 'text' as const, text }, ...(shippedSend.body ?? []).slice(1)];
    const violation = checkTemplateSend({ ...shippedSend, body }, orderShipped, []);
    expect(violation).toMatchObject({
      code: 'template_parameter_format',
      field: 'content.template.body[0].text',
    });
    expect(violation?.message).toContain(problem);
  });

  it('allows exactly four consecutive spaces', () => {
    const body = [{ type: 'text' as const, text: 'four    spaces' }, ...(shippedSend.body ?? []).slice(1)];
    expect(checkTemplateSend({ ...shippedSend, body }, orderShipped, [])).toBeNull();
  });

  it('refuses a button parameter of the wrong sub type', () => {
    expect(
      checkTemplateSend(
        { ...shippedSend, buttons: [{ index: 0, subType: 'quick_reply', value: 'x' }] },
        orderShipped,
        [],
      ),
    ).toMatchObject({
      code: 'template_parameter_format',
      field: 'content.template.buttons[0].subType',
      details: { expected: 'url', got: 'quick_reply' },
    });
  });
});

describe('renderTemplatePreview', () => {
  it('fills positional parameters and lists the buttons', () => {
    expect(renderTemplatePreview(orderShipped, shippedSend)).toBe(
      'Order A-1\n\nHi Ana, your order A-1 ships today. Thanks Ana!\n\nReply STOP to opt out\n\n[Track]\n[Stop updates]\n[Call us]',
    );
  });

  it('fills named parameters and shows a media header', () => {
    expect(renderTemplatePreview(welcomeNamed, welcomeSend)).toBe(
      '[image]\n\nWelcome Ana! Use SAVE10 for 10% off.\n\n[Copy code]',
    );
  });

  it('keeps variables that have no value', () => {
    expect(renderTemplatePreview(orderShipped, { name: 'order_shipped', language: 'en_US' })).toBe(
      'Order {{1}}\n\nHi {{1}}, your order {{2}} ships {{3}}. Thanks {{1}}!\n\nReply STOP to opt out\n\n[Track]\n[Stop updates]\n[Call us]',
    );
  });

  it('names a document header by its file name', () => {
    const record: TemplateRecord = {
      ...otp,
      components: [
        { type: 'HEADER', format: 'DOCUMENT' },
        { type: 'BODY', text: 'Your invoice' },
      ],
    };
    expect(
      renderTemplatePreview(record, {
        name: 'x',
        language: 'en',
        header: { type: 'document', media: { id: '1', filename: 'inv.pdf' } },
      }),
    ).toBe('[document: inv.pdf]\n\nYour invoice');
  });
});
