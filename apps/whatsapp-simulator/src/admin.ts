import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SimulatorCore } from './core.ts';
import { type Customer, customerFor } from './customers.ts';
import type { InboundMessage } from './store.ts';
import { toBubble } from './phone/view.ts';
import { setTemplateStatus } from './templates/routes.ts';
import { windowOpen } from './rules.ts';

const replyTo = { replyTo: z.string().optional() };
const media = {
  caption: z.string().optional(),
  mimeType: z.string().optional(),
  filename: z.string().optional(),
  dataBase64: z.string().optional(),
  ...replyTo,
};

/** What a customer can do, over HTTP (the phone page and other processes use this). */
const customerAction = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    text: z.string().min(1).max(65_536),
    referral: z.record(z.string(), z.unknown()).optional(),
    ...replyTo,
  }),
  z.object({ type: z.literal('image'), ...media }),
  z.object({ type: z.literal('video'), ...media }),
  z.object({ type: z.literal('document'), ...media }),
  z.object({ type: z.literal('audio'), voice: z.boolean().optional(), ...media }),
  z.object({ type: z.literal('sticker'), animated: z.boolean().optional(), ...media }),
  z.object({
    type: z.literal('location'),
    latitude: z.number(),
    longitude: z.number(),
    name: z.string().optional(),
    address: z.string().optional(),
    ...replyTo,
  }),
  z.object({ type: z.literal('contacts'), contacts: z.array(z.record(z.string(), z.unknown())).min(1) }),
  z.object({ type: z.literal('reaction'), messageId: z.string(), emoji: z.string() }),
  z.object({ type: z.literal('interactive_reply'), messageId: z.string(), optionId: z.string() }),
  z.object({ type: z.literal('button'), messageId: z.string(), index: z.number().int().min(0).default(0) }),
  z.object({
    type: z.literal('order'),
    catalogId: z.string(),
    text: z.string().optional(),
    items: z.array(z.record(z.string(), z.unknown())).min(1),
  }),
  z.object({ type: z.literal('system'), newWaId: z.string() }),
  z.object({ type: z.literal('unsupported') }),
  z.object({ type: z.literal('raw'), messageType: z.string(), content: z.unknown(), ...replyTo }),
]);
type CustomerAction = z.infer<typeof customerAction>;

const waIdSchema = z.string().regex(/^\d{5,15}$/, 'wa_id must be 5–15 digits');

function perform(customer: Customer, a: CustomerAction): InboundMessage {
  const options = a.type !== 'contacts' && 'replyTo' in a && a.replyTo ? { replyTo: a.replyTo } : {};
  switch (a.type) {
    case 'text':
      return customer.sendText(a.text, { ...options, ...(a.referral ? { referral: a.referral } : {}) });
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker': {
      const input = {
        ...options,
        ...(a.caption === undefined ? {} : { caption: a.caption }),
        ...(a.mimeType === undefined ? {} : { mimeType: a.mimeType }),
        ...(a.filename === undefined ? {} : { filename: a.filename }),
        ...(a.dataBase64 === undefined ? {} : { data: Buffer.from(a.dataBase64, 'base64') }),
        ...('voice' in a && a.voice !== undefined ? { voice: a.voice } : {}),
        ...('animated' in a && a.animated !== undefined ? { animated: a.animated } : {}),
      };
      if (a.type === 'image') return customer.sendImage(input);
      if (a.type === 'video') return customer.sendVideo(input);
      if (a.type === 'document') return customer.sendDocument(input);
      if (a.type === 'audio') return customer.sendAudio(input);
      return customer.sendSticker(input);
    }
    case 'location': {
      const { type: _t, replyTo: _r, ...location } = a;
      return customer.sendLocation(location, options);
    }
    case 'contacts':
      return customer.sendContacts(a.contacts);
    case 'reaction':
      return customer.sendReaction(a.messageId, a.emoji);
    case 'interactive_reply':
      return customer.sendInteractiveReply(a.messageId, a.optionId);
    case 'button':
      return customer.sendButton(a.messageId, a.index);
    case 'order':
      return customer.sendOrder({
        catalogId: a.catalogId,
        items: a.items,
        ...(a.text ? { text: a.text } : {}),
      });
    case 'system':
      return customer.sendSystemNumberChange(a.newWaId);
    case 'unsupported':
      return customer.sendUnsupported();
    case 'raw':
      return customer.send(a.messageType, a.content, options);
  }
}

function bad(reply: FastifyReply, message: string): FastifyReply {
  return reply.status(400).send({ error: { message } });
}

/**
 * /_simulator/…: the test and sandbox controls. Not part of Meta's API, so plain JSON errors.
 * Unauthenticated by design: the simulator is a loopback sandbox.
 */
export function registerAdminRoutes(app: FastifyInstance, core: SimulatorCore): void {
  const P = '/_simulator';
  // admin errors are plain, not Graph envelopes
  const guard = async <T>(reply: FastifyReply, fn: () => T): Promise<T | FastifyReply> => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof z.ZodError)
        return bad(reply, e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return bad(reply, e instanceof Error ? e.message : String(e));
    }
  };

  app.get(`${P}/state`, async () => ({
    businesses: core.businesses,
    webhookUrl: core.webhooks.getUrl(),
    now: core.clock.now().toISOString(),
    tokensExpired: core.tokensExpiredAt !== null,
    faults: core.faults.get(),
    templates: core.businesses
      .flatMap((b) => core.templates.list(b.wabaId))
      .map((t) => ({ id: t.id, name: t.name, language: t.language, status: t.status })),
  }));

  app.get(`${P}/counters`, async () => core.counters.snapshot());
  app.post(`${P}/counters/reset`, async () => {
    core.counters.reset();
    return { ok: true };
  });

  app.get(`${P}/faults`, async () => core.faults.get());
  app.put(`${P}/faults`, async (req, reply) =>
    guard(reply, () => core.faults.set(z.record(z.string(), z.unknown()).parse(req.body ?? {}))),
  );
  app.delete(`${P}/faults`, async () => core.faults.reset());

  app.post(`${P}/token/expire`, async () => {
    core.tokensExpiredAt = core.clock.now();
    return { ok: true };
  });
  app.post(`${P}/token/restore`, async () => {
    core.tokensExpiredAt = null;
    return { ok: true };
  });

  app.get(`${P}/clock`, async () => ({ now: core.clock.now().toISOString() }));
  app.post(`${P}/clock/advance`, async (req, reply) =>
    guard(reply, () => {
      const { ms } = z.object({ ms: z.number().nonnegative() }).parse(req.body);
      return { now: core.clock.advance(ms).toISOString() };
    }),
  );

  app.put(`${P}/webhook`, async (req, reply) =>
    guard(reply, () => {
      const { url } = z.object({ url: z.url().nullable() }).parse(req.body);
      core.webhooks.setUrl(url);
      return { url: core.webhooks.getUrl() };
    }),
  );

  app.put(`${P}/not-on-whatsapp`, async (req, reply) =>
    guard(reply, () => {
      const { waId, notOnWhatsApp } = z
        .object({ waId: waIdSchema, notOnWhatsApp: z.boolean().default(true) })
        .parse(req.body);
      if (notOnWhatsApp) core.store.notOnWhatsApp.add(waId);
      else core.store.notOnWhatsApp.delete(waId);
      return { waId, notOnWhatsApp };
    }),
  );

  app.post(`${P}/templates/status`, async (req, reply) =>
    guard(reply, () => {
      const body = z
        .object({
          name: z.string(),
          language: z.string(),
          status: z.enum([
            'APPROVED',
            'PENDING',
            'REJECTED',
            'PAUSED',
            'DISABLED',
            'IN_APPEAL',
            'PENDING_DELETION',
            'LIMIT_EXCEEDED',
          ]),
          reason: z.string().nullable().default(null),
          wabaId: z.string().optional(),
        })
        .parse(req.body);
      const template = core.templates.find(
        body.wabaId ?? core.defaultBusiness().wabaId,
        body.name,
        body.language,
      );
      if (!template) throw new Error(`no template ${body.name} (${body.language})`);
      setTemplateStatus(core, template, body.status, body.status, body.reason);
      return { id: template.id, status: template.status };
    }),
  );

  app.get<{ Querystring: { phoneNumberId?: string } }>(`${P}/customers`, async (req) => {
    const business =
      (req.query.phoneNumberId && core.business(req.query.phoneNumberId)) || core.defaultBusiness();
    const now = core.clock.nowMs();
    return [...core.store.customers.values()].map((c) => ({
      waId: c.waId,
      profileName: c.profileName,
      windowOpen: windowOpen(c, business.phoneNumberId, now),
      notOnWhatsApp: core.store.notOnWhatsApp.has(c.waId),
    }));
  });

  app.post(`${P}/customers`, async (req, reply) =>
    guard(reply, () => {
      const { waId, profileName } = z
        .object({ waId: waIdSchema, profileName: z.string().min(1).max(100).optional() })
        .parse(req.body);
      const c = core.store.customer(waId, profileName);
      return { waId: c.waId, profileName: c.profileName };
    }),
  );

  app.post<{ Params: { waId: string }; Querystring: { phoneNumberId?: string; profileName?: string } }>(
    `${P}/customers/:waId/messages`,
    async (req, reply) =>
      guard(reply, () => {
        const waId = waIdSchema.parse(req.params.waId);
        const action = customerAction.parse(req.body);
        const customer = customerFor(core, waId, req.query.profileName, req.query.phoneNumberId);
        const m = perform(customer, action);
        return { id: m.wamid, message: m.message };
      }),
  );

  app.post<{ Params: { waId: string }; Querystring: { phoneNumberId?: string } }>(
    `${P}/customers/:waId/read`,
    async (req, reply) =>
      guard(reply, () => {
        const { messageId } = z.object({ messageId: z.string().optional() }).parse(req.body ?? {});
        customerFor(core, req.params.waId, undefined, req.query.phoneNumberId).read(messageId);
        return { ok: true };
      }),
  );

  app.get<{ Params: { waId: string }; Querystring: { phoneNumberId?: string } }>(
    `${P}/customers/:waId/thread`,
    async (req) => {
      const c = core.store.customers.get(req.params.waId);
      return {
        waId: req.params.waId,
        profileName: c?.profileName ?? null,
        windowOpen: windowOpen(
          c,
          req.query.phoneNumberId ?? core.defaultBusiness().phoneNumberId,
          core.clock.nowMs(),
        ),
        items: core.store
          .thread(req.params.waId, req.query.phoneNumberId)
          .map((item) => toBubble(core, item)),
      };
    },
  );

  app.get<{ Params: { waId: string } }>(`${P}/sent/:waId`, async (req) => core.store.sentTo(req.params.waId));

  // media bytes for the phone page (no token: the page is the customer's own phone)
  app.get<{ Params: { id: string } }>(`${P}/media/:id`, async (req, reply) => {
    const m = core.media.get(req.params.id);
    if (!m) return reply.status(404).send({ error: { message: 'no such media' } });
    // uploaded bytes are untrusted: never let them run as a page on this origin
    return reply
      .header('content-type', m.mimeType)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .send(m.data);
  });

  // server-sent events: "change" with the wa_id whose thread changed
  app.get(`${P}/events`, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    const onChange = (waId: string) => res.write(`event: change\ndata: ${JSON.stringify({ waId })}\n\n`);
    core.store.events.on('change', onChange);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(ping);
      core.store.events.off('change', onChange);
    });
  });
}
