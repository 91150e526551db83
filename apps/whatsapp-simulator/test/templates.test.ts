import { afterEach, describe, expect, it } from 'vitest';
import { changes, harness, statusesOf, type Harness } from './support.ts';

let h: Harness;
afterEach(() => h?.close());

const newTemplate = {
  name: 'shipping_update',
  language: 'en_US',
  category: 'UTILITY',
  components: [
    { type: 'BODY', text: 'Your order {{1}} ships today.', example: { body_text: [['#1']] } },
    { type: 'FOOTER', text: 'Reply STOP to opt out' },
  ],
};

describe('message templates', () => {
  it("lists the WABA's templates, hello_world included", async () => {
    h = await harness();
    const r = await h.graph('GET', `/v23.0/${h.wabaId}/message_templates?limit=10`);
    expect(r.status).toBe(200);
    expect(r.json.data?.[0]).toMatchObject({
      name: 'hello_world',
      language: 'en_US',
      status: 'APPROVED',
      category: 'UTILITY',
      id: expect.any(String),
    });
    expect(r.json.paging?.cursors?.before).toEqual(expect.any(String));
  });

  it('created templates start PENDING, are approved after the delay with a status webhook, then send', async () => {
    // a long review delay, ended by reviewTemplatesNow(): no race with the first send
    h = await harness({ templateReview: { outcome: 'APPROVED', delayMs: 60_000 } });
    const created = await h.graph('POST', `/v23.0/${h.wabaId}/message_templates`, newTemplate);
    expect(created.status).toBe(200);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^\d+$/),
      status: 'PENDING',
      category: 'UTILITY',
    });
    const send = () =>
      h.send({
        to: '15550501001',
        type: 'template',
        template: {
          name: 'shipping_update',
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: '#7' }] }],
        },
      });
    expect((await send()).json.error?.code).toBe(132001); // not yet approved
    h.sim.reviewTemplatesNow();
    const d = await h.receiver.waitFor(
      (ds) => changes(ds, 'message_template_status_update').length > 0,
      'template webhook',
    );
    expect(changes(d, 'message_template_status_update')[0]).toEqual({
      event: 'APPROVED',
      message_template_id: Number(created.json.id),
      message_template_name: 'shipping_update',
      message_template_language: 'en_US',
      reason: 'NONE',
      message_template_category: 'UTILITY',
    });
    expect(typeof d[0]?.body.entry[0]?.time).toBe('number');
    const sent = await send();
    expect(sent.status).toBe(200);
    const listed = await h.graph('GET', `/v23.0/${h.wabaId}/message_templates?name=shipping_update`);
    expect(listed.json.data?.[0]?.status).toBe('APPROVED');
  });

  it('can be configured to reject, with a reason', async () => {
    h = await harness({
      templateReview: { outcome: 'REJECTED', delayMs: 0, rejectionReason: 'PROMOTIONAL' },
    });
    await h.graph('POST', `/v23.0/${h.wabaId}/message_templates`, newTemplate);
    const d = await h.receiver.waitFor((ds) => changes(ds, 'message_template_status_update').length > 0);
    expect(changes(d, 'message_template_status_update')[0]).toMatchObject({
      event: 'REJECTED',
      reason: 'PROMOTIONAL',
    });
  });

  it('refuses a duplicate name + language and invalid definitions', async () => {
    h = await harness();
    await h.graph('POST', `/v23.0/${h.wabaId}/message_templates`, newTemplate);
    const dup = await h.graph('POST', `/v23.0/${h.wabaId}/message_templates`, newTemplate);
    expect(dup.status).toBe(400);
    expect(dup.json.error).toMatchObject({
      code: 100,
      error_subcode: 2388024,
      error_user_title: expect.any(String),
    });
    const badCategory = await h.graph('POST', `/v23.0/${h.wabaId}/message_templates`, {
      ...newTemplate,
      name: 'x1',
      category: 'SPAM',
    });
    expect(badCategory.json.error?.code).toBe(100);
    const noBody = await h.graph('POST', `/v23.0/${h.wabaId}/message_templates`, {
      ...newTemplate,
      name: 'x2',
      components: [],
    });
    expect(noBody.json.error?.code).toBe(100);
    const badName = await h.graph('POST', `/v23.0/${h.wabaId}/message_templates`, {
      ...newTemplate,
      name: 'Has Spaces',
    });
    expect(badName.json.error?.code).toBe(100);
  });

  it('deletes by name; sending it afterwards fails with 132001', async () => {
    h = await harness();
    const del = await h.graph('DELETE', `/v23.0/${h.wabaId}/message_templates?name=hello_world`);
    expect(del).toEqual({ status: 200, json: { success: true } });
    const again = await h.graph('DELETE', `/v23.0/${h.wabaId}/message_templates?name=hello_world`);
    expect(again.status).toBe(400);
    const r = await h.send({
      to: '15550501002',
      type: 'template',
      template: { name: 'hello_world', language: { code: 'en_US' } },
    });
    expect(r.status).toBe(404);
    expect(r.json.error?.code).toBe(132001);
  });

  it('pausing a template sends the PAUSED webhook and makes sends fail with 132015', async () => {
    h = await harness();
    h.sim.setTemplateStatus('hello_world', 'en_US', 'PAUSED');
    const d = await h.receiver.waitFor((ds) => changes(ds, 'message_template_status_update').length > 0);
    expect(changes(d, 'message_template_status_update')[0]).toMatchObject({
      event: 'PAUSED',
      message_template_name: 'hello_world',
    });
    const r = await h.send({
      to: '15550501003',
      type: 'template',
      template: { name: 'hello_world', language: { code: 'en_US' } },
    });
    expect(r.json.error?.code).toBe(132015);
  });

  it("an unknown WABA answers Graph's unknown-object error", async () => {
    h = await harness();
    const r = await h.graph('GET', '/v23.0/123456789/message_templates');
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 100, error_subcode: 33 });
  });

  it('template statuses carry the template category in PMP pricing', async () => {
    h = await harness();
    h.sim.addTemplate({
      name: 'promo',
      language: 'en',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Sale' }],
    });
    h.sim.customer('15550501004').sendText('hi'); // inside the window marketing is still billed
    const r = await h.send({
      to: '15550501004',
      type: 'template',
      template: { name: 'promo', language: { code: 'en' } },
    });
    const wamid = String(r.json.messages?.[0]?.id);
    const d = await h.receiver.waitFor((ds) =>
      statusesOf(ds, wamid).some((s) => String(s.status) === 'sent'),
    );
    expect(statusesOf(d, wamid)[0]?.pricing).toEqual({
      billable: true,
      pricing_model: 'PMP',
      category: 'marketing',
      type: 'regular',
    });
  });
});
