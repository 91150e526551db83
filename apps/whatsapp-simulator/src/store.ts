import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { WebhookError } from './errors.ts';

export type OutboundStatus = 'accepted' | 'sent' | 'delivered' | 'read' | 'failed';

export interface Pricing {
  billable: boolean;
  pricing_model: 'PMP';
  category: string;
  type: 'regular' | 'free_customer_service' | 'free_entry_point';
}

/** What the business sent to a customer, as the simulator recorded it. */
export interface OutboundMessage {
  seq: number;
  wamid: string;
  phoneNumberId: string;
  to: string;
  type: string;
  /** the request body as sent (the part a test wants to assert on) */
  body: Record<string, unknown>;
  createdAt: Date;
  status: OutboundStatus;
  statuses: { status: OutboundStatus; at: Date }[];
  errors: WebhookError[];
  pricing: Pricing | null;
}

/** What a customer sent to the business: the message object exactly as its webhook carries it. */
export interface InboundMessage {
  seq: number;
  wamid: string;
  phoneNumberId: string;
  from: string;
  type: string;
  message: Record<string, unknown>;
  createdAt: Date;
  /** set when the business marks it read */
  readAt: Date | null;
}

export interface CustomerRecord {
  waId: string;
  profileName: string;
  /** per business number: last time this customer wrote (opens the 24-hour window) */
  lastInboundAt: Map<string, number>;
  /** per business number: last click-to-WhatsApp referral (opens a 72-hour free entry point) */
  lastReferralAt: Map<string, number>;
}

export type ThreadItem =
  ({ direction: 'inbound' } & InboundMessage) | ({ direction: 'outbound' } & OutboundMessage);

/** In-memory state of the fake WhatsApp: customers and both directions of every thread. */
export class Store {
  readonly customers = new Map<string, CustomerRecord>();
  readonly outbound = new Map<string, OutboundMessage>();
  readonly inbound = new Map<string, InboundMessage>();
  readonly notOnWhatsApp: Set<string>;
  /** 'change' (waId) whenever a thread changes: the phone page listens */
  readonly events = new EventEmitter();
  private seq = 0;

  constructor(notOnWhatsApp: string[]) {
    this.notOnWhatsApp = new Set(notOnWhatsApp);
    this.events.setMaxListeners(0);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  customer(waId: string, profileName?: string): CustomerRecord {
    let c = this.customers.get(waId);
    if (!c) {
      c = {
        waId,
        profileName: profileName ?? `Customer ${waId.slice(-4)}`,
        lastInboundAt: new Map(),
        lastReferralAt: new Map(),
      };
      this.customers.set(waId, c);
    } else if (profileName) {
      c.profileName = profileName;
    }
    return c;
  }

  addOutbound(m: OutboundMessage): void {
    this.outbound.set(m.wamid, m);
    this.changed(m.to);
  }

  addInbound(m: InboundMessage): void {
    this.inbound.set(m.wamid, m);
    this.changed(m.from);
  }

  setOutboundStatus(m: OutboundMessage, status: OutboundStatus, at: Date): void {
    m.status = status;
    m.statuses.push({ status, at });
    this.changed(m.to);
  }

  sentTo(waId: string, phoneNumberId?: string): OutboundMessage[] {
    return [...this.outbound.values()].filter(
      (m) => m.to === waId && (phoneNumberId === undefined || m.phoneNumberId === phoneNumberId),
    );
  }

  thread(waId: string, phoneNumberId?: string): ThreadItem[] {
    const items: ThreadItem[] = [];
    for (const m of this.inbound.values()) {
      if (m.from === waId && (!phoneNumberId || m.phoneNumberId === phoneNumberId))
        items.push({ direction: 'inbound', ...m });
    }
    for (const m of this.outbound.values()) {
      if (m.to === waId && (!phoneNumberId || m.phoneNumberId === phoneNumberId))
        items.push({ direction: 'outbound', ...m });
    }
    return items.sort((a, b) => a.seq - b.seq);
  }

  changed(waId: string): void {
    this.events.emit('change', waId);
  }
}

/** Message ids shaped like Meta's (`wamid.` + base64); unique per simulator run. */
export function newWamid(): string {
  return `wamid.${randomBytes(30).toString('base64')}`;
}

let idCounter = 0;

/** Graph object ids are long decimal strings; a counter keeps them unique within a run. */
export function newNumericId(): string {
  idCounter = (idCounter + 1) % 100_000;
  return `9${Date.now()}${String(idCounter).padStart(5, '0')}`;
}
