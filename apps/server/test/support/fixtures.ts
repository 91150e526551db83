import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { InboundEventKind, MessageContent } from '../../src/domain/inbound-event.ts';

/**
 * WhatsApp webhook bodies for tests: the project's own (apps/server/test/fixtures/whatsapp, written
 * from Meta's documentation) and the shared real-world corpus (../shared/fixtures/whatsapp beside
 * the repo). Expectations live in one hand-written table below, never derived from the parser.
 */

export type ContentType = MessageContent['type'];

export interface WebhookFixture {
  /** own: the file name; shared: the path below shared/fixtures/whatsapp */
  name: string;
  source: 'own' | 'shared';
  /** the exact bytes, for signing and posting */
  body: Buffer;
  /** undefined when the body is not JSON */
  json: unknown | undefined;
  /** event kinds in parser order (per change: business_error, messages, statuses, others) */
  expectedKinds: InboundEventKind[] | 'invalid-json';
  /** content.type of each `message` event, in order */
  expectedContentTypes: ContentType[];
}

interface Expectation {
  kinds: InboundEventKind[] | 'invalid-json';
  content?: ContentType[];
}

const msg = (...content: ContentType[]): Expectation => ({ kinds: content.map(() => 'message'), content });
const kinds = (...k: InboundEventKind[]): Expectation => ({ kinds: k });

const SHARED_SET = 'bindambc-whatsapp-business-java-api';

/** The one table of what each fixture must parse to. A fixture missing here fails loudly. */
export const FIXTURE_EXPECTATIONS: Readonly<Record<string, Expectation>> = {
  // own fixtures
  'message-text.json': msg('text'),
  'message-image.json': msg('image'),
  'message-audio-voice.json': msg('audio'),
  'message-video.json': msg('video'),
  'message-document.json': msg('document'),
  'message-sticker.json': msg('sticker'),
  'message-location.json': msg('location'),
  'message-contacts.json': msg('contacts'),
  'message-interactive-button-reply.json': msg('interactive'),
  'message-interactive-list-reply.json': msg('interactive'),
  'message-interactive-nfm-reply.json': msg('interactive'),
  'message-button.json': msg('button'),
  'message-reaction.json': msg('reaction'),
  'message-reaction-removed.json': msg('reaction'),
  'message-order.json': msg('order'),
  'message-system.json': msg('system'),
  'message-referral.json': msg('text'),
  'message-context-reply.json': msg('text'),
  'message-forwarded.json': msg('text'),
  'message-unsupported.json': msg('unsupported'),
  'message-unknown-type.json': msg('unsupported'),
  'message-edit.json': msg('edit'),
  'message-revoke.json': msg('revoke'),
  'message-with-user-id.json': msg('text'),
  'status-sent-pmp.json': kinds('status'),
  'status-delivered-cbp.json': kinds('status'),
  'status-read.json': kinds('status'),
  'status-played.json': kinds('status'),
  'status-failed.json': kinds('status'),
  'status-unknown-value.json': kinds('unknown_change'),
  'errors.json': kinds('business_error'),
  'template-status-update.json': kinds('template_status'),
  'template-quality-update.json': kinds('template_quality'),
  'template-category-update.json': kinds('template_category'),
  'account-update.json': kinds('account_update'),
  'account-alerts.json': kinds('account_update'),
  'phone-number-quality-update.json': kinds('phone_number_quality'),
  'phone-number-name-update.json': kinds('phone_number_name'),
  'user-preferences.json': kinds('user_preference'),
  'unknown-field.json': kinds('unknown_change'),
  'batch-mixed.json': {
    kinds: ['message', 'message', 'message', 'status', 'status'],
    content: ['text', 'image', 'reaction'],
  },
  // shared real-world payloads
  [`${SHARED_SET}/accountBanned.json`]: kinds('account_update'),
  [`${SHARED_SET}/accountRestricted.json`]: kinds('account_update'),
  [`${SHARED_SET}/accountReview.json`]: kinds('account_update'),
  [`${SHARED_SET}/audioMessage.json`]: msg('audio'),
  [`${SHARED_SET}/buttonMessage.json`]: msg('button'),
  [`${SHARED_SET}/contactMessage.json`]: msg('contacts'),
  [`${SHARED_SET}/documentMessage.json`]: msg('document'),
  [`${SHARED_SET}/imageMessage.json`]: msg('image'),
  [`${SHARED_SET}/locationMessage.json`]: msg('location'),
  [`${SHARED_SET}/mediaUploadError.json`]: kinds('status'),
  [`${SHARED_SET}/messageDeleted.json`]: msg('unsupported'),
  [`${SHARED_SET}/phoneNumberNameUpdate.json`]: kinds('phone_number_name'),
  [`${SHARED_SET}/qualityUpdate.json`]: kinds('phone_number_quality'),
  [`${SHARED_SET}/reEngagementMessageError.json`]: kinds('status'),
  [`${SHARED_SET}/reactMessage.json`]: msg('reaction'),
  [`${SHARED_SET}/rejectedTemplate.json`]: kinds('template_status'),
  [`${SHARED_SET}/stickerMessage.json`]: msg('sticker'),
  [`${SHARED_SET}/templateSchedulingForDisabling.json`]: kinds('template_status'),
  [`${SHARED_SET}/textMessage.json`]: msg('text'),
  [`${SHARED_SET}/textMessage2.json`]: msg('text'),
  [`${SHARED_SET}/textMessageStatusDelivered.json`]: kinds('status'),
  // published with a stray `{` after the object: the receiver answers 400 and stores nothing
  [`${SHARED_SET}/textMessageStatusRead.json`]: { kinds: 'invalid-json' },
  [`${SHARED_SET}/textMessageStatusSent.json`]: kinds('status'),
  [`${SHARED_SET}/verifiedAccount.json`]: kinds('account_update'),
  [`${SHARED_SET}/videoMessage.json`]: msg('video'),
};

const here = path.dirname(fileURLToPath(import.meta.url));
/** apps/server/test/support → repository root */
export const REPO_ROOT = path.resolve(here, '..', '..', '..', '..');
export const OWN_FIXTURES_DIR = path.resolve(here, '..', 'fixtures', 'whatsapp');
export const SHARED_FIXTURES_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'whatsapp');

let warnedMissingShared = false;

/**
 * Every own fixture and every shared `*.json` payload (the shared README is documentation, not a
 * payload). Without the shared folder (a fresh clone) only own fixtures are returned, with one warning.
 */
export function loadWebhookFixtures(): WebhookFixture[] {
  return loadWebhookFixturesFrom(OWN_FIXTURES_DIR, SHARED_FIXTURES_DIR);
}

/** loadWebhookFixtures with explicit folders (tests of the loader itself). */
export function loadWebhookFixturesFrom(ownDir: string, sharedDir: string): WebhookFixture[] {
  const fixtures = listJsonFiles(ownDir).map((file) => load('own', path.relative(ownDir, file), file));
  if (fs.existsSync(sharedDir)) {
    for (const file of listJsonFiles(sharedDir))
      fixtures.push(load('shared', path.relative(sharedDir, file), file));
  } else if (!warnedMissingShared) {
    warnedMissingShared = true;
    console.warn(`shared WhatsApp fixtures not found at ${sharedDir}; using own fixtures only`);
  }
  return fixtures;
}

function load(source: WebhookFixture['source'], relative: string, file: string): WebhookFixture {
  const name = relative.split(path.sep).join('/');
  const expectation = FIXTURE_EXPECTATIONS[name];
  if (!expectation) {
    throw new Error(
      `WhatsApp fixture ${name} has no entry in FIXTURE_EXPECTATIONS (test/support/fixtures.ts)`,
    );
  }
  const body = fs.readFileSync(file);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    json = undefined;
  }
  return {
    name,
    source,
    body,
    json,
    expectedKinds: expectation.kinds,
    expectedContentTypes: expectation.content ?? [],
  };
}

function listJsonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const files: string[] = [];
  for (const dirent of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, dirent.name);
    if (dirent.isDirectory()) files.push(...listJsonFiles(full));
    else if (dirent.isFile() && dirent.name.endsWith('.json')) files.push(full);
  }
  return files.sort();
}

/* ---------- helpers for tests that apply fixtures ---------- */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A new wamid for `oldId`: the same (salt, oldId) always gives the same id, so references stay consistent. */
function freshWamid(salt: string, oldId: string): string {
  return `wamid.${createHash('sha256').update(`${salt}\u0000${oldId}`).digest('base64')}`;
}

/** Each change value of a delivery (messages, statuses, …), or nothing for a foreign shape. */
function changeValues(json: unknown): Record<string, unknown>[] {
  const values: Record<string, unknown>[] = [];
  if (!isRecord(json) || !Array.isArray(json['entry'])) return values;
  for (const entry of json['entry']) {
    if (!isRecord(entry) || !Array.isArray(entry['changes'])) continue;
    for (const change of entry['changes']) {
      if (isRecord(change) && isRecord(change['value'])) values.push(change['value']);
    }
  }
  return values;
}

/**
 * Deep copy of a delivery with every messages[].id and statuses[].id replaced by a new unique wamid,
 * and the ids that point at messages (context.id, reaction.message_id, edit/revoke
 * original_message_id) mapped the same way, so each fixture applies as new messages. Mapping is a
 * pure function of (salt, old id): fixtures rewritten with the same salt still refer to each other.
 */
export function withFreshIds(json: unknown, salt: string): unknown {
  const copy: unknown = structuredClone(json);
  const remap = (holder: unknown, key: string) => {
    if (isRecord(holder) && typeof holder[key] === 'string') holder[key] = freshWamid(salt, holder[key]);
  };
  for (const value of changeValues(copy)) {
    for (const status of Array.isArray(value['statuses']) ? value['statuses'] : []) remap(status, 'id');
    for (const message of Array.isArray(value['messages']) ? value['messages'] : []) {
      if (!isRecord(message)) continue;
      remap(message, 'id');
      remap(message['context'], 'id');
      remap(message['reaction'], 'message_id');
      remap(message['edit'], 'original_message_id');
      remap(message['revoke'], 'original_message_id');
      const edited = isRecord(message['edit']) ? message['edit']['message'] : undefined;
      if (isRecord(edited)) remap(edited['context'], 'id');
    }
  }
  return copy;
}

/** The business phone_number_ids a delivery mentions (value.metadata.phone_number_id), without duplicates. */
export function phoneNumberIdsOf(json: unknown): string[] {
  const ids = new Set<string>();
  for (const value of changeValues(json)) {
    const metadata = value['metadata'];
    if (isRecord(metadata) && typeof metadata['phone_number_id'] === 'string')
      ids.add(metadata['phone_number_id']);
  }
  return [...ids];
}
