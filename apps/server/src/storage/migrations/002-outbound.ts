import type { Kysely } from 'kysely';
import type { Dialect } from '../db.ts';

/** Outbound messaging: the outbox of send intents, channel limits and credentials, template details. */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  const s = db.schema;

  await s
    .createTable('outbound_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entry_id', 'text', (c) => c.notNull().unique().references('conversation_entries.id'))
    .addColumn('channel_id', 'text', (c) => c.notNull().references('channels.id'))
    .addColumn('session_id', 'text', (c) => c.notNull().references('messaging_sessions.id'))
    .addColumn('to_wa_id', 'text', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    /** queued | sending | accepted | failed | dead | discarded */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('business_initiated', 'integer', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('wamid', 'text', (c) => c.unique())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempt_started_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('accepted_at', 'text')
    .execute();
  await s
    .createIndex('outbound_messages_tier')
    .on('outbound_messages')
    .columns(['channel_id', 'business_initiated', 'created_at'])
    .execute();
  await s
    .createIndex('outbound_messages_status')
    .on('outbound_messages')
    .columns(['status', 'updated_at'])
    .execute();

  await s.alterTable('channels').addColumn('messaging_limit', 'integer').execute();
  await s
    .alterTable('channels')
    .addColumn('shared_with_business_app', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await s.alterTable('channels').addColumn('access_token', 'text').execute();
  await s
    .alterTable('templates')
    .addColumn('parameter_format', 'text', (c) => c.notNull().defaultTo('positional'))
    .execute();
  await s.alterTable('templates').addColumn('synced_at', 'text').execute();
  await s
    .createIndex('message_statuses_callback')
    .on('message_statuses')
    .column('biz_opaque_callback_data')
    .execute();
}
