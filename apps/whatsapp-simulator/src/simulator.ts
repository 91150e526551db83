import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { buildSimulatorApp } from './app.ts';
import type { SimClock } from './clock.ts';
import { businessEvent } from './webhooks/payloads.ts';
import { SimulatorCore } from './core.ts';
import type { CountersSnapshot } from './counters.ts';
import { type Customer, customerFor } from './customers.ts';
import type { Faults } from './faults.ts';
import {
  type BusinessNumber,
  resolveOptions,
  type ResolvedOptions,
  type SimulatorOptions,
} from './options.ts';
import type { OutboundMessage, ThreadItem } from './store.ts';
import { setTemplateStatus } from './templates/routes.ts';
import type { Template, TemplateSeed, TemplateStatus } from './templates/store.ts';

/**
 * The fake WhatsApp, usable in-process: drive customers, read what the business sent, turn fault
 * knobs, move the clock. `url` is what Switchboard uses as its Graph base URL.
 */
export class WhatsAppSimulator {
  readonly core: SimulatorCore;
  readonly app: FastifyInstance;
  readonly options: ResolvedOptions;
  private baseUrl: string | null = null;

  constructor(options: SimulatorOptions = {}) {
    this.options = resolveOptions(options);
    this.core = new SimulatorCore(this.options);
    this.app = buildSimulatorApp(this.core);
    this.app.addHook('onClose', async () => this.core.close());
  }

  /** Listens on the configured host and port (0 = any free port). */
  async listen(): Promise<string> {
    await this.app.listen({ host: this.options.host, port: this.options.port });
    const address = this.app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${host}:${address.port}`;
    return this.baseUrl;
  }

  /** Base URL of the Graph look-alike (e.g. http://127.0.0.1:4010); requests go to `${url}/v23.0/…`. */
  get url(): string {
    if (!this.baseUrl)
      throw new Error('the simulator is not listening; call listen() or use startSimulator()');
    return this.baseUrl;
  }

  get clock(): SimClock {
    return this.core.clock;
  }

  get faults(): Faults {
    return this.core.faults;
  }

  get businesses(): Required<BusinessNumber>[] {
    return this.core.businesses;
  }

  get appSecret(): string {
    return this.options.appSecret;
  }

  get accessToken(): string {
    return this.options.accessTokens[0] as string;
  }

  /** A customer's phone, talking to the given business number (default: the first). */
  customer(waId: string, profileName?: string, phoneNumberId?: string): Customer {
    return customerFor(this.core, waId, profileName, phoneNumberId);
  }

  /** What the business sent to this customer, oldest first. */
  sentTo(waId: string, phoneNumberId?: string): OutboundMessage[] {
    return this.core.store.sentTo(waId, phoneNumberId).sort((a, b) => a.seq - b.seq);
  }

  thread(waId: string, phoneNumberId?: string): ThreadItem[] {
    return this.core.store.thread(waId, phoneNumberId);
  }

  counters(): CountersSnapshot {
    return this.core.counters.snapshot();
  }

  resetCounters(): void {
    this.core.counters.reset();
  }

  advance(ms: number): Date {
    return this.core.clock.advance(ms);
  }

  setWebhookUrl(url: string | null): void {
    this.core.webhooks.setUrl(url);
  }

  /** Every accepted token now answers 190 (subcode 463, session expired). */
  expireToken(): void {
    this.core.tokensExpiredAt = this.core.clock.now();
  }

  restoreToken(): void {
    this.core.tokensExpiredAt = null;
  }

  setNotOnWhatsApp(waId: string, notOnWhatsApp = true): void {
    if (notOnWhatsApp) this.core.store.notOnWhatsApp.add(waId);
    else this.core.store.notOnWhatsApp.delete(waId);
  }

  addTemplate(seed: TemplateSeed): Template {
    return this.core.templates.add(seed);
  }

  /** Moves a template (PAUSED, DISABLED, APPROVED, …) and sends the status-update webhook. */
  setTemplateStatus(
    name: string,
    language: string,
    status: TemplateStatus,
    reason: string | null = null,
  ): Template {
    const wabaId = this.core.defaultBusiness().wabaId;
    const template = this.core.templates.find(wabaId, name, language);
    if (!template) throw new Error(`no template ${name} (${language})`);
    setTemplateStatus(this.core, template, status, status, reason);
    return template;
  }

  /** Ends every pending template review now, with the configured outcome (skips the delay). */
  /** Sends an account-level webhook (account_update, phone_number_quality_update, …) for a WABA. */
  sendBusinessEvent(
    field: string,
    value: Record<string, unknown>,
    wabaId = this.core.defaultBusiness().wabaId,
  ): void {
    this.core.emit(businessEvent(wabaId, field, value));
  }

  reviewTemplatesNow(): void {
    for (const finish of [...this.core.pendingReviews.values()]) finish();
  }

  /** Resolves once every scheduled status and every webhook (with its retries) has gone out. */
  async idle(): Promise<void> {
    for (;;) {
      while (this.core.pendingTimers() > 0) await new Promise((r) => setTimeout(r, 5));
      await this.core.webhooks.idle();
      if (this.core.pendingTimers() === 0) return;
    }
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<WhatsAppSimulator> {
  const simulator = new WhatsAppSimulator(options);
  await simulator.listen();
  return simulator;
}
