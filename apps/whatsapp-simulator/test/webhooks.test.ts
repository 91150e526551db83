import { afterEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../server/src/channels/whatsapp/signature.ts';
import { changes, harness, messages, statusesOf, type Harness } from './support.ts';

let h: Harness;
afterEach(() => h?.close());

const WA = '15550301001';

describe('webhook deliveries', () => {
  it('are signed with X-Hub-Signature-256 over the exact bytes sent', async () => {
    h = await harness({ appSecret: 'webhook-test-secret' });
    h.sim.customer(WA, 'Ada').sendText('hi');
    const [d] = await h.receiver.waitFor((ds) => ds.length >= 1);
    expect(verifySignature('webhook-test-secret', d!.raw, d!.signature)).toBe(true);
    expect(verifySignature('another-secret', d!.raw, d!.signature)).toBe(false);
    expect(
      verifySignature('webhook-test-secret', Buffer.concat([d!.raw, Buffer.from(' ')]), d!.signature),
    ).toBe(false);
  });

  it("carry a customer text in Meta's envelope (entry → changes → value → contacts + messages)", async () => {
    h = await harness();
    const sent = h.sim.customer(WA, 'Ada Lovelace').sendText('hello there');
    const [d] = await h.receiver.waitFor((ds) => ds.length >= 1);
    const business = h.sim.businesses[0]!;
    expect(d!.body).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: business.wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: business.displayPhoneNumber,
                  phone_number_id: business.phoneNumberId,
                },
                contacts: [{ profile: { name: 'Ada Lovelace' }, wa_id: WA }],
                messages: [
                  {
                    from: WA,
                    id: sent.wamid,
                    timestamp: expect.stringMatching(/^\d{10}$/),
                    type: 'text',
                    text: { body: 'hello there' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
  });

  it('carry every customer message type', async () => {
    h = await harness({
      templates: [
        {
          name: 'quick',
          language: 'en_US',
          category: 'MARKETING',
          components: [
            { type: 'BODY', text: 'Want it?' },
            { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Yes please' }] },
          ],
        },
      ],
    });
    const c = h.sim.customer(WA, 'Ada');
    c.sendText('start');
    const buttons = await h.send({
      to: WA,
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'ok?' },
        action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }] },
      },
    });
    const list = await h.send({
      to: WA,
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'pick' },
        action: {
          button: 'Menu',
          sections: [{ rows: [{ id: 'r1', title: 'First', description: 'the first' }] }],
        },
      },
    });
    const tpl = await h.send({
      to: WA,
      type: 'template',
      template: { name: 'quick', language: { code: 'en_US' } },
    });
    const bWamid = String(buttons.json.messages?.[0]?.id);
    const lWamid = String(list.json.messages?.[0]?.id);
    const tWamid = String(tpl.json.messages?.[0]?.id);

    c.sendImage({ caption: 'a photo' });
    c.sendAudio();
    c.sendVideo();
    c.sendDocument({ filename: 'invoice.pdf' });
    c.sendSticker({ animated: true });
    c.sendLocation({ latitude: 1.5, longitude: 2.5, name: 'Here', address: 'Street 1' });
    c.sendContacts([
      { name: { formatted_name: 'Grace' }, phones: [{ phone: '+1 555', wa_id: '1555', type: 'CELL' }] },
    ]);
    c.sendInteractiveReply(bWamid, 'yes');
    c.sendInteractiveReply(lWamid, 'r1');
    c.sendButton(tWamid, 0);
    c.sendReaction(bWamid, '❤️');
    c.sendOrder({
      catalogId: 'cat1',
      text: 'these',
      items: [{ product_retailer_id: 'sku1', quantity: 2, item_price: 9.5, currency: 'EUR' }],
    });
    c.sendSystemNumberChange('15550309999');
    c.sendText('from an ad', {
      referral: {
        source_url: 'https://fb.me/x',
        source_id: '1',
        source_type: 'ad',
        headline: 'Hi',
        body: 'Ad',
        media_type: 'image',
        ctwa_clid: 'abc',
      },
    });
    c.sendText('replying', { replyTo: bWamid });
    c.sendUnsupported();

    const d = await h.receiver.waitFor((ds) => messages(ds).length >= 17, '17 messages');
    const byType = (type: string) => messages(d).filter((m) => String(m.type) === type);
    expect(byType('image')[0]?.image).toMatchObject({
      caption: 'a photo',
      mime_type: 'image/png',
      id: expect.stringMatching(/^\d+$/),
    });
    expect(byType('audio')[0]?.audio).toMatchObject({ voice: true, mime_type: 'audio/ogg; codecs=opus' });
    expect(byType('video')[0]?.video).toMatchObject({ mime_type: 'video/mp4' });
    expect(byType('document')[0]?.document).toMatchObject({
      filename: 'invoice.pdf',
      mime_type: 'application/pdf',
    });
    expect(byType('sticker')[0]?.sticker).toMatchObject({ animated: true, mime_type: 'image/webp' });
    expect(byType('location')[0]?.location).toEqual({
      latitude: 1.5,
      longitude: 2.5,
      name: 'Here',
      address: 'Street 1',
    });
    expect(byType('contacts')[0]?.contacts?.[0]?.name).toEqual({ formatted_name: 'Grace' });
    const interactive = (kind: string) =>
      byType('interactive').find((m) => String(m.interactive?.type) === kind);
    const buttonReply = interactive('button_reply');
    const listReply = interactive('list_reply');
    expect(buttonReply).toMatchObject({
      interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } },
      context: { id: bWamid },
    });
    expect(listReply?.interactive).toEqual({
      type: 'list_reply',
      list_reply: { id: 'r1', title: 'First', description: 'the first' },
    });
    expect(byType('button')[0]).toMatchObject({
      button: { text: 'Yes please', payload: 'Yes please' },
      context: { id: tWamid },
    });
    expect(byType('reaction')[0]?.reaction).toEqual({ message_id: bWamid, emoji: '❤️' });
    expect(byType('order')[0]?.order).toMatchObject({
      catalog_id: 'cat1',
      product_items: [{ product_retailer_id: 'sku1' }],
    });
    expect(byType('system')[0]?.system).toMatchObject({
      type: 'user_changed_number',
      new_wa_id: '15550309999',
    });
    expect(byType('text').find((m) => String(m.text?.body) === 'from an ad')?.referral).toMatchObject({
      source_type: 'ad',
      ctwa_clid: 'abc',
    });
    expect(byType('text').find((m) => String(m.text?.body) === 'replying')?.context).toEqual({
      from: h.sim.businesses[0]!.displayPhoneNumber,
      id: bWamid,
    });
    expect(byType('unsupported')[0]?.errors?.[0]).toMatchObject({
      code: 131051,
      title: 'Message type unknown',
    });

    // the media a customer sent can be fetched by the business
    const mediaId = String(byType('image')[0]?.image?.id);
    const media = await h.graph('GET', `/v23.0/${mediaId}`);
    expect(media.json).toMatchObject({ id: mediaId, mime_type: 'image/png' });
  });

  it('send sent → delivered → read for each business message, and read only when the customer reads', async () => {
    h = await harness({ statuses: { delaysMs: { sent: 0, delivered: 1, read: 2 }, autoRead: false } });
    const c = h.sim.customer(WA);
    c.sendText('hi');
    const r = await h.send({ to: WA, type: 'text', text: { body: 'hello back' } });
    const wamid = String(r.json.messages?.[0]?.id);
    await h.sim.idle();
    // deliveries run in parallel, so arrival order is not guaranteed (nor is it at Meta)
    expect(
      statusesOf(h.receiver.deliveries, wamid)
        .map((s) => String(s.status))
        .sort(),
    ).toEqual(['delivered', 'sent']);
    c.read();
    const d = await h.receiver.waitFor((ds) => statusesOf(ds, wamid).length === 3);
    const read = statusesOf(d, wamid)[2];
    expect(read).toMatchObject({
      id: wamid,
      status: 'read',
      recipient_id: WA,
      timestamp: expect.stringMatching(/^\d+$/),
    });
    expect(read?.pricing).toBeUndefined();
    expect(h.sim.sentTo(WA)[0]?.statuses.map((s) => s.status)).toEqual([
      'accepted',
      'sent',
      'delivered',
      'read',
    ]);
  });

  it('echo biz_opaque_callback_data in statuses', async () => {
    h = await harness();
    h.sim.customer(WA).sendText('hi');
    const r = await h.send({
      to: WA,
      type: 'text',
      text: { body: 'x' },
      biz_opaque_callback_data: 'case-42',
    });
    const wamid = String(r.json.messages?.[0]?.id);
    const d = await h.receiver.waitFor((ds) => statusesOf(ds, wamid).length >= 1);
    expect(statusesOf(d, wamid)[0]?.biz_opaque_callback_data).toBe('case-42');
  });

  it('are retried after a non-200 answer, with the same bytes, until one is answered 200', async () => {
    h = await harness({ webhooks: { retryDelaysMs: [0, 5, 5] } });
    h.receiver.respond = (n) => (n < 2 ? 500 : 200);
    h.sim.customer(WA).sendText('retry me');
    await h.sim.idle();
    expect(h.receiver.deliveries).toHaveLength(3);
    const [a, b, c] = h.receiver.deliveries;
    expect(b!.raw.equals(a!.raw)).toBe(true);
    expect(c!.raw.equals(a!.raw)).toBe(true);
    const w = h.sim.counters().webhooks;
    expect(w.attemptsByResult).toEqual({ '200': 1, '500': 2 });
    expect(w.delivered).toBe(1);
    expect(w.retried).toBe(2);
  });

  it('treat any status but 200 as a failure and give up after the schedule', async () => {
    h = await harness({ webhooks: { retryDelaysMs: [0, 1] } });
    h.receiver.respond = () => 204;
    h.sim.customer(WA).sendText('never acknowledged');
    await h.sim.idle();
    expect(h.receiver.deliveries).toHaveLength(3); // first try + 2 retries
    expect(h.sim.counters().webhooks).toMatchObject({
      delivered: 0,
      gaveUp: 1,
      attemptsByResult: { '204': 3 },
    });
  });

  it('retry when the receiver is down', async () => {
    h = await harness({ webhooks: { retryDelaysMs: [0] } });
    h.sim.setWebhookUrl('http://127.0.0.1:1/webhooks');
    h.sim.customer(WA).sendText('nobody home');
    await h.sim.idle();
    expect(h.sim.counters().webhooks).toMatchObject({ gaveUp: 1, attemptsByResult: { network_error: 2 } });
  });

  it('may batch several events into one POST', async () => {
    h = await harness({ webhooks: { maxBatch: 10 } });
    const c = h.sim.customer(WA, 'Ada');
    c.sendText('one');
    c.sendText('two');
    c.sendText('three');
    await h.sim.idle();
    expect(h.receiver.deliveries).toHaveLength(1);
    const value = changes(h.receiver.deliveries, 'messages')[0];
    expect(value?.messages?.length).toBe(3);
    expect(value?.contacts).toEqual([{ profile: { name: 'Ada' }, wa_id: WA }]);
  });
});
