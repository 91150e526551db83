/**
 * @switchboard/whatsapp-simulator: a Graph API look-alike of Meta's WhatsApp Cloud API for
 * sandboxes, tests and benchmarks. Start it in-process with startSimulator(), or standalone with
 * `npx tsx apps/whatsapp-simulator/src/main.ts`.
 */
export { buildSimulatorApp } from './app.ts';
export { SimClock, type ClockSource } from './clock.ts';
export { SimulatorCore } from './core.ts';
export type { CountersSnapshot } from './counters.ts';
export { Customer, customerFor, type MediaInput, type SendOptions } from './customers.ts';
export { ERROR_CODES, GraphError, type GraphErrorBody, type WebhookError } from './errors.ts';
export { Faults, NO_FAULTS, type FaultSettings } from './faults.ts';
export { MEDIA_RULES, STATIC_STICKER_MAX_BYTES } from './media/store.ts';
export { INTERACTIVE_LIMITS } from './messages/interactive.ts';
export { envFromArgv, runSimulatorFromEnv, simulatorOptionsFromEnv } from './main.ts';
export {
  DEFAULT_ACCESS_TOKEN,
  DEFAULT_APP_SECRET,
  DEFAULT_BUSINESS,
  type BusinessNumber,
  type MessagingTier,
  type SimulatorOptions,
} from './options.ts';
export { startSimulator, WhatsAppSimulator, WhatsAppSimulator as Simulator } from './simulator.ts';
export type { InboundMessage, OutboundMessage, OutboundStatus, Pricing, ThreadItem } from './store.ts';
export type { TemplateComponent, TemplateSeed, TemplateStatus } from './templates/store.ts';
