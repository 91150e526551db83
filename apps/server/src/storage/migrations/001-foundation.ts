import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.ts';

/** The foundation schema: channels, raw webhook events, the job queue and the embedded CRM. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const autoId = dialect === 'postgres' ? 'bigserial' : 'integer';
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  const s = db.schema;

  await s
    .createTable('channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('phone_number_id', 'text', (c) => c.notNull().unique())
    .addColumn('waba_id', 'text')
    .addColumn('display_phone_number', 'text')
    .addColumn('verified_name', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('quality_rating', 'text')
    .addColumn('messaging_limit_tier', 'text')
    .addColumn('throughput_mps', 'integer', (c) => c.notNull().defaultTo(80))
    .addColumn('unmatched_customer_rule', 'text', (c) => c.notNull().defaultTo('lead'))
    .addColumn('reopen_window_minutes', 'integer', (c) => c.notNull().defaultTo(60))
    .addColumn('create_case', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('account_status', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('webhook_events')
    .addColumn('id', autoId, (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('body', bytes, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('received'))
    .addColumn('applied_at', 'text')
    .addColumn('note', 'text')
    .execute();
  await s.createIndex('webhook_events_status').on('webhook_events').columns(['status', 'id']).execute();

  await s
    .createTable('jobs')
    .addColumn('id', autoId, (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('jobs_ready').on('jobs').columns(['queue', 'status', 'run_at', 'id']).execute();
  await s.createIndex('jobs_lease').on('jobs').columns(['status', 'locked_until']).execute();

  await s
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.references('accounts.id'))
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('phone_e164', 'text')
    .addColumn('email', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('contacts_phone').on('contacts').column('phone_e164').execute();

  await s
    .createTable('leads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text', (c) => c.notNull())
    .addColumn('company', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('phone_e164', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('lead_source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('leads_phone').on('leads').column('phone_e164').execute();

  await s
    .createTable('cases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_number', 'text', (c) => c.notNull().unique())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.references('contacts.id'))
    .addColumn('lead_id', 'text', (c) => c.references('leads.id'))
    .addColumn('account_id', 'text', (c) => c.references('accounts.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .execute();

  await s
    .createTable('end_users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id'))
    .addColumn('wa_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('parent_user_id', 'text')
    .addColumn('profile_name', 'text')
    .addColumn('contact_id', 'text', (c) => c.references('contacts.id'))
    .addColumn('lead_id', 'text', (c) => c.references('leads.id'))
    .addColumn('link_status', 'text', (c) => c.notNull())
    .addColumn('link_candidates', 'text')
    .addColumn('last_inbound_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('end_users_channel_wa_id', ['channel_id', 'wa_id'])
    .execute();

  await s
    .createTable('messaging_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id'))
    .addColumn('end_user_id', 'text', (c) => c.notNull().references('end_users.id'))
    .addColumn('case_id', 'text', (c) => c.references('cases.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('queue_id', 'text')
    .addColumn('owner_id', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('last_inbound_at', 'text')
    .addColumn('last_message_at', 'text', (c) => c.notNull())
    .addColumn('window_ends_at', 'text')
    .addColumn('reopened_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // At most one session that is not Ended per end user: the database, not the code, forbids a second.
  await s
    .createIndex('messaging_sessions_one_open')
    .on('messaging_sessions')
    .column('end_user_id')
    .unique()
    .where(sql.ref('status'), '<>', 'Ended')
    .execute();
  await s
    .createIndex('messaging_sessions_list')
    .on('messaging_sessions')
    .columns(['started_at', 'id'])
    .execute();
  await s.createIndex('messaging_sessions_end_user').on('messaging_sessions').column('end_user_id').execute();

  await s
    .createTable('conversation_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('messaging_sessions.id'))
    .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id'))
    .addColumn('end_user_id', 'text', (c) => c.notNull().references('end_users.id'))
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('wamid', 'text', (c) => c.unique())
    .addColumn('context_wamid', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s
    .createIndex('conversation_entries_session')
    .on('conversation_entries')
    .columns(['session_id', 'occurred_at', 'id'])
    .execute();

  await s
    .createTable('message_statuses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('wamid', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('recipient_id', 'text')
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('errors', 'text')
    .addColumn('pricing', 'text')
    .addColumn('conversation', 'text')
    .addColumn('biz_opaque_callback_data', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('message_statuses_wamid_status', ['wamid', 'status'])
    .execute();

  await s
    .createTable('media')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entry_id', 'text', (c) => c.notNull().unique().references('conversation_entries.id'))
    .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id'))
    .addColumn('media_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text')
    .addColumn('sha256', 'text')
    .addColumn('file_size', 'integer')
    .addColumn('file_name', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('blob_key', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('waba_id', 'text', (c) => c.notNull())
    .addColumn('meta_template_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('quality_score', 'text')
    .addColumn('rejected_reason', 'text')
    .addColumn('components', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('templates_name_language', ['waba_id', 'name', 'language'])
    .execute();
  await s.createIndex('templates_meta_id').on('templates').column('meta_template_id').execute();

  await s
    .createTable('consent_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id'))
    .addColumn('end_user_id', 'text', (c) => c.references('end_users.id'))
    .addColumn('wa_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s
    .createIndex('consent_records_wa_id')
    .on('consent_records')
    .columns(['channel_id', 'wa_id'])
    .execute();

  await s
    .createTable('business_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) => c.references('channels.id'))
    .addColumn('waba_id', 'text')
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('event', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();

  await s
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('detail', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();
}
