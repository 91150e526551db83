import type { SimulatorCore } from '../core.ts';
import { GraphError } from '../errors.ts';
import type { BusinessNumber } from '../options.ts';
import { pricingFor, windowOpen } from '../rules.ts';
import { newWamid, type OutboundMessage } from '../store.ts';
import { checkTemplateSend } from '../templates/check.ts';
import { type AsyncFailure, scheduleStatuses } from './lifecycle.ts';
import { isObject, type Json } from './params.ts';
import { parseMessagesRequest } from './validate.ts';

const MEDIA_TYPES = new Set(['audio', 'document', 'image', 'sticker', 'video']);

/**
 * POST /{phone-number-id}/messages. Synchronous refusals (validation, templates, throughput
 * 130429, pair rate 131056) throw GraphError; the rest is accepted with a wamid and, where Meta
 * fails later (not a WhatsApp user 131026, window closed 131047, messaging limit 131048, missing
 * media 131053), fails by status webhook.
 */
export function handleMessagesRequest(
  core: SimulatorCore,
  business: Required<BusinessNumber>,
  raw: unknown,
): Json {
  const req = parseMessagesRequest(raw);
  if (req.kind === 'read') return markRead(core, business, req.messageId);

  const template = req.template
    ? checkTemplateSend(
        core.templates.find(business.wabaId, req.template.name, req.template.language),
        req.template.name,
        req.template.language,
        req.template.components,
      )
    : null;

  if (!core.rules.takeThroughput(business.phoneNumberId, business.throughputMps)) {
    throw new GraphError(130429, 'Cloud API message throughput has been reached.');
  }
  if (!core.rules.takePair(business.phoneNumberId, req.to)) {
    throw new GraphError(
      131056,
      'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
    );
  }

  const now = core.clock.nowMs();
  const customer = core.store.customers.get(req.to);
  const inWindow = windowOpen(customer, business.phoneNumberId, now);
  let failure: AsyncFailure | null = null;
  if (core.store.notOnWhatsApp.has(req.to)) {
    failure = { code: 131026, details: 'Message Undeliverable.' };
  } else if (!template && !inWindow) {
    failure = {
      code: 131047,
      details:
        'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
    };
  } else if (template && !inWindow && !core.rules.takeTier(business.phoneNumberId, req.to, business.tier)) {
    failure = {
      code: 131048,
      details: `Message failed to send because this business has reached its messaging limit of ${business.tier} unique customers in a rolling 24-hour period.`,
    };
  } else if (MEDIA_TYPES.has(req.type) && typeof req.content['id'] === 'string') {
    const media = core.media.get(req.content['id']);
    if (!media)
      failure = { code: 131053, details: `Media ID ${req.content['id']} was not found or has been deleted.` };
  }

  const m: OutboundMessage = {
    seq: core.store.nextSeq(),
    wamid: newWamid(),
    phoneNumberId: business.phoneNumberId,
    to: req.to,
    type: req.type,
    body: req.body,
    createdAt: core.clock.now(),
    status: 'accepted',
    statuses: [{ status: 'accepted', at: core.clock.now() }],
    errors: [],
    pricing: failure ? null : pricingFor(template?.category ?? null, customer, business.phoneNumberId, now),
  };
  core.store.addOutbound(m);
  core.counters.sendTypes.add(req.type);
  scheduleStatuses(core, business, m, failure);

  const rawTo = isObject(raw) && typeof raw['to'] === 'string' ? raw['to'] : req.to;
  return {
    messaging_product: 'whatsapp',
    contacts: [{ input: rawTo, wa_id: req.to }],
    messages: [template ? { id: m.wamid, message_status: 'accepted' } : { id: m.wamid }],
  };
}

function markRead(core: SimulatorCore, business: BusinessNumber, wamid: string): Json {
  const message = core.store.inbound.get(wamid);
  if (!message || message.phoneNumberId !== business.phoneNumberId) {
    throw new GraphError(100, `Message with ID ${wamid} was not found for this phone number.`, {
      message: '(#100) Invalid parameter',
    });
  }
  if (!message.readAt) {
    // reading a message marks every earlier message in the thread read, as on a phone
    const at = core.clock.now();
    for (const m of core.store.inbound.values()) {
      if (
        m.from === message.from &&
        m.phoneNumberId === message.phoneNumberId &&
        m.seq <= message.seq &&
        !m.readAt
      ) {
        m.readAt = at;
      }
    }
    core.store.changed(message.from);
  }
  return { success: true };
}
