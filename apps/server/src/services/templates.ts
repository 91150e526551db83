import type { GraphClient, GraphTemplate } from '../channels/whatsapp/graph-client.ts';
import type { Db } from '../storage/db.ts';
import { newId } from '../storage/ids.ts';

export const TEMPLATE_SYNC_QUEUE = 'templates.sync';
/** Meta can change a template's status or quality at any time; a webhook may be missed. */
export const TEMPLATE_SYNC_INTERVAL_MS = 15 * 60 * 1000;

/**
 * Makes our templates table match Meta's list for one WABA: every template and language upserted
 * with status, category, components, parameter format, quality and rejection reason; templates Meta
 * no longer lists are marked DELETED (kept, since entries may refer to them).
 */
export async function syncTemplates(
  db: Db,
  graph: Pick<GraphClient, 'listTemplates'>,
  wabaId: string,
  token: string,
  now: Date,
): Promise<{ synced: number; removed: number }> {
  const remote = await graph.listTemplates(wabaId, token);
  const at = now.toISOString();
  for (const t of remote) await upsertTemplate(db, wabaId, t, at);
  const seen = new Set(remote.map((t) => `${t.name}\u0000${t.language}`));
  const local = await db
    .selectFrom('templates')
    .select(['id', 'name', 'language', 'status'])
    .where('waba_id', '=', wabaId)
    .execute();
  const gone = local.filter((l) => !seen.has(`${l.name}\u0000${l.language}`) && l.status !== 'DELETED');
  for (const g of gone)
    await db
      .updateTable('templates')
      .set({ status: 'DELETED', updated_at: at, synced_at: at })
      .where('id', '=', g.id)
      .execute();
  return { synced: remote.length, removed: gone.length };
}

export async function upsertTemplate(db: Db, wabaId: string, t: GraphTemplate, at: string): Promise<void> {
  const fields = {
    meta_template_id: t.id,
    category: t.category,
    status: t.status,
    quality_score: t.qualityScore,
    rejected_reason: t.rejectedReason,
    components: JSON.stringify(t.components),
    parameter_format: t.parameterFormat,
    updated_at: at,
    synced_at: at,
  };
  await db
    .insertInto('templates')
    .values({ id: newId(), waba_id: wabaId, name: t.name, language: t.language, created_at: at, ...fields })
    .onConflict((oc) => oc.columns(['waba_id', 'name', 'language']).doUpdateSet(fields))
    .execute();
}

export interface TemplateView {
  id: string;
  metaTemplateId: string | null;
  wabaId: string;
  name: string;
  language: string;
  category: string | null;
  status: string;
  parameterFormat: string;
  qualityScore: string | null;
  rejectedReason: string | null;
  components: unknown[];
  syncedAt: string | null;
}

export async function listTemplates(db: Db, wabaId?: string): Promise<TemplateView[]> {
  let q = db.selectFrom('templates').selectAll();
  if (wabaId) q = q.where('waba_id', '=', wabaId);
  const rows = await q.orderBy('name').orderBy('language').execute();
  return rows.map((r) => ({
    id: r.id,
    metaTemplateId: r.meta_template_id,
    wabaId: r.waba_id,
    name: r.name,
    language: r.language,
    category: r.category,
    status: r.status,
    parameterFormat: r.parameter_format,
    qualityScore: r.quality_score,
    rejectedReason: r.rejected_reason,
    components: r.components ? (JSON.parse(r.components) as unknown[]) : [],
    syncedAt: r.synced_at,
  }));
}
