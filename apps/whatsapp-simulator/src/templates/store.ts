import { newNumericId } from '../store.ts';

export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
export type TemplateStatus =
  | 'APPROVED'
  | 'PENDING'
  | 'REJECTED'
  | 'PAUSED'
  | 'DISABLED'
  | 'IN_APPEAL'
  | 'PENDING_DELETION'
  | 'LIMIT_EXCEEDED';

export interface TemplateButton {
  type: string;
  text: string;
  url?: string;
  phone_number?: string;
  [k: string]: unknown;
}

export interface TemplateComponent {
  type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS';
  format?: 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION';
  text?: string;
  buttons?: TemplateButton[];
  example?: unknown;
}

export interface TemplateSeed {
  /** defaults to the first business's WABA */
  wabaId?: string;
  id?: string;
  name: string;
  language: string;
  category: TemplateCategory;
  status?: TemplateStatus;
  parameter_format?: 'POSITIONAL' | 'NAMED';
  components: TemplateComponent[];
}

export interface Template {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  category: TemplateCategory;
  status: TemplateStatus;
  parameterFormat: 'POSITIONAL' | 'NAMED';
  components: TemplateComponent[];
  rejectedReason: string | null;
}

/** Variables of a template text: `{{1}}` (positional) or `{{first_name}}` (named), first use order. */
export function variablesOf(text: string | undefined): string[] {
  if (!text) return [];
  const names: string[] = [];
  for (const m of text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)) {
    const name = m[1] as string;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Message templates per WABA. Name + language is unique, as at Meta. */
export class TemplateStore {
  private readonly byId = new Map<string, Template>();

  constructor(private readonly defaultWabaId: string) {}

  add(seed: TemplateSeed): Template {
    const template: Template = {
      id: seed.id ?? newNumericId(),
      wabaId: seed.wabaId ?? this.defaultWabaId,
      name: seed.name,
      language: seed.language,
      category: seed.category,
      status: seed.status ?? 'APPROVED',
      parameterFormat: seed.parameter_format ?? inferFormat(seed.components),
      components: seed.components,
      rejectedReason: null,
    };
    this.byId.set(template.id, template);
    return template;
  }

  get(id: string): Template | undefined {
    return this.byId.get(id);
  }

  find(wabaId: string, name: string, language: string): Template | undefined {
    for (const t of this.byId.values()) {
      if (t.wabaId === wabaId && t.name === name && t.language === language) return t;
    }
    return undefined;
  }

  list(wabaId: string): Template[] {
    return [...this.byId.values()].filter((t) => t.wabaId === wabaId);
  }

  /** Deletes every language of `name`, or only the one with `id`; returns what was removed. */
  remove(wabaId: string, name: string, id?: string): Template[] {
    const removed = this.list(wabaId).filter((t) => t.name === name && (id === undefined || t.id === id));
    for (const t of removed) this.byId.delete(t.id);
    return removed;
  }
}

function inferFormat(components: TemplateComponent[]): 'POSITIONAL' | 'NAMED' {
  const vars = components.flatMap((c) => variablesOf(c.text));
  return vars.length > 0 && vars.every((v) => !/^\d+$/.test(v)) ? 'NAMED' : 'POSITIONAL';
}

/** Graph's JSON for a template (GET /message_templates). */
export function templateJson(t: Template): Record<string, unknown> {
  return {
    name: t.name,
    parameter_format: t.parameterFormat,
    components: t.components,
    language: t.language,
    status: t.status,
    category: t.category,
    id: t.id,
  };
}
