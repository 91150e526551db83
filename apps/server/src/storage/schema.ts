import type { Generated } from 'kysely';

/**
 * Row shapes, identical on SQLite and PostgreSQL. Conventions:
 * - timestamps are ISO-8601 UTC strings (`Date#toISOString()`), so they sort as text on both;
 * - booleans are integers 0/1; JSON columns are text holding JSON;
 * - ids are UUID text, except the two append-heavy tables (webhook_events, jobs) which use integers.
 */
export interface Database {
  channels: ChannelsTable;
  webhook_events: WebhookEventsTable;
  jobs: JobsTable;
  accounts: AccountsTable;
  contacts: ContactsTable;
  leads: LeadsTable;
  cases: CasesTable;
  end_users: EndUsersTable;
  messaging_sessions: MessagingSessionsTable;
  conversation_entries: ConversationEntriesTable;
  message_statuses: MessageStatusesTable;
  media: MediaTable;
  templates: TemplatesTable;
  consent_records: ConsentRecordsTable;
  business_events: BusinessEventsTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  counters: CountersTable;
  outbound_messages: OutboundMessagesTable;
}

export interface ChannelsTable {
  id: string;
  phone_number_id: string;
  waba_id: string | null;
  display_phone_number: string | null;
  verified_name: string | null;
  name: string;
  quality_rating: string | null;
  messaging_limit_tier: string | null;
  throughput_mps: number;
  /** what to do with a customer whose phone matches no Contact or Lead: 'lead' | 'contact' | 'none' */
  unmatched_customer_rule: string;
  reopen_window_minutes: number;
  create_case: number;
  /** 'active' | 'needs_credentials' | 'disabled' */
  status: string;
  account_status: string | null;
  created_at: string;
  updated_at: string;
  /** unique business-initiated recipients per rolling 24 h; null = unlimited */
  messaging_limit: number | null;
  shared_with_business_app: Generated<number>;
  /** a Graph token set through the API; overrides WHATSAPP_ACCESS_TOKEN for this channel */
  access_token: string | null;
}

export interface WebhookEventsTable {
  id: Generated<number>;
  received_at: string;
  signature: string;
  body: Buffer;
  /** 'received' | 'applied' | 'unrouted' | 'failed' */
  status: string;
  applied_at: string | null;
  note: string | null;
}

export interface JobsTable {
  id: Generated<number>;
  queue: string;
  payload: string;
  /** 'queued' | 'running' | 'dead' (finished jobs are deleted) */
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_by: string | null;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccountsTable {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface ContactsTable {
  id: string;
  account_id: string | null;
  first_name: string | null;
  last_name: string;
  phone: string | null;
  phone_e164: string | null;
  email: string | null;
  created_at: string;
  updated_at: string;
}

export interface LeadsTable {
  id: string;
  first_name: string | null;
  last_name: string;
  company: string;
  phone: string | null;
  phone_e164: string | null;
  status: string;
  lead_source: string;
  created_at: string;
  updated_at: string;
}

export interface CasesTable {
  id: string;
  case_number: string;
  subject: string;
  status: string;
  origin: string;
  priority: string;
  contact_id: string | null;
  lead_id: string | null;
  account_id: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface EndUsersTable {
  id: string;
  channel_id: string;
  wa_id: string;
  /** business-scoped user id (BSUID) and its parent, when Meta sends them */
  user_id: string | null;
  parent_user_id: string | null;
  profile_name: string | null;
  contact_id: string | null;
  lead_id: string | null;
  /** 'linked' | 'unlinked' | 'ambiguous' (several matches: an agent must choose) */
  link_status: string;
  /** JSON array of { type: 'Contact' | 'Lead', id } when ambiguous */
  link_candidates: string | null;
  last_inbound_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface MessagingSessionsTable {
  id: string;
  channel_id: string;
  end_user_id: string;
  case_id: string | null;
  /** 'New' | 'Waiting' | 'Active' | 'Inactive' | 'Ended' */
  status: string;
  origin: string;
  queue_id: string | null;
  owner_id: string | null;
  started_at: string;
  ended_at: string | null;
  last_inbound_at: string | null;
  last_message_at: string;
  /** when the 24-hour customer care window closes: last inbound + 24 h */
  window_ends_at: string | null;
  reopened_count: number;
  created_at: string;
  updated_at: string;
}

export interface ConversationEntriesTable {
  id: string;
  session_id: string;
  channel_id: string;
  end_user_id: string;
  /** 'inbound' | 'outbound' */
  direction: string;
  /** 'EndUser' | 'Agent' | 'Bot' | 'System' */
  actor_type: string;
  actor_id: string | null;
  /** the WhatsApp message type (text, image, …, unsupported) or a system event type */
  type: string;
  /** a plain-text rendering (body, caption, summary) for lists and search */
  text: string | null;
  /** JSON: the type's content, as parsed */
  content: string;
  wamid: string | null;
  context_wamid: string | null;
  /** 'received' for inbound; accepted | sent | delivered | read | played | failed for outbound */
  status: string;
  /** JSON: { code, title, message, details } of the last failure */
  error: string | null;
  occurred_at: string;
  created_at: string;
}

export interface MessageStatusesTable {
  id: string;
  wamid: string;
  status: string;
  recipient_id: string | null;
  occurred_at: string;
  errors: string | null;
  pricing: string | null;
  conversation: string | null;
  biz_opaque_callback_data: string | null;
  created_at: string;
}

export interface MediaTable {
  id: string;
  entry_id: string;
  channel_id: string;
  media_id: string;
  kind: string;
  mime_type: string | null;
  sha256: string | null;
  file_size: number | null;
  file_name: string | null;
  /** 'pending' | 'stored' | 'failed' | 'expired' | 'too_large' */
  status: string;
  blob_key: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface TemplatesTable {
  id: string;
  waba_id: string;
  meta_template_id: string | null;
  name: string;
  language: string;
  category: string | null;
  status: string;
  quality_score: string | null;
  rejected_reason: string | null;
  components: string | null;
  created_at: string;
  updated_at: string;
  parameter_format: Generated<string>;
  synced_at: string | null;
}

export interface ConsentRecordsTable {
  id: string;
  channel_id: string;
  end_user_id: string | null;
  wa_id: string;
  /** 'opt_in' | 'opt_out' */
  status: string;
  scope: string;
  source: string;
  detail: string | null;
  occurred_at: string;
  created_at: string;
}

export interface BusinessEventsTable {
  id: string;
  channel_id: string | null;
  waba_id: string | null;
  field: string;
  event: string | null;
  payload: string;
  occurred_at: string;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditEventsTable {
  id: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string | null;
  detail: string | null;
  created_at: string;
}

export interface CountersTable {
  name: string;
  value: number;
}

export interface OutboundMessagesTable {
  id: string;
  entry_id: string;
  channel_id: string;
  session_id: string;
  to_wa_id: string;
  /** JSON: the validated OutboundMessage */
  request: string;
  /** queued | sending | accepted | failed | dead | discarded */
  status: string;
  business_initiated: number;
  idempotency_key: string | null;
  wamid: string | null;
  attempts: number;
  /** set before each Graph call: a crash after it leaves the outcome to reconcile, not to resend */
  attempt_started_at: string | null;
  last_error: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  accepted_at: string | null;
}
