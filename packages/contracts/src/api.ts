import { z } from 'zod';

/** Response shapes of the read API (v1). The server's responses are checked against these in tests. */

export const apiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const sessionStatusSchema = z.enum(['New', 'Waiting', 'Active', 'Inactive', 'Ended']);

export const crmRefSchema = z.object({ type: z.enum(['Contact', 'Lead']), id: z.string() });

export const endUserSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  waId: z.string(),
  userId: z.string().nullable(),
  parentUserId: z.string().nullable(),
  profileName: z.string().nullable(),
  contactId: z.string().nullable(),
  leadId: z.string().nullable(),
  linkStatus: z.enum(['linked', 'unlinked', 'ambiguous']),
  linkCandidates: z.array(crmRefSchema),
  lastInboundAt: z.string().nullable(),
  createdAt: z.string(),
});

export const conversationSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  endUserId: z.string(),
  caseId: z.string().nullable(),
  status: sessionStatusSchema,
  origin: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  lastInboundAt: z.string().nullable(),
  lastMessageAt: z.string(),
  windowEndsAt: z.string().nullable(),
  windowOpen: z.boolean(),
  endUser: z.object({ waId: z.string(), profileName: z.string().nullable() }),
});

export const statusHistoryItemSchema = z.object({
  status: z.string(),
  occurredAt: z.string(),
  errors: z.array(z.unknown()).nullable(),
  pricing: z.unknown().nullable(),
});

export const mediaSchema = z.object({
  mediaId: z.string(),
  status: z.enum(['pending', 'stored', 'failed', 'expired', 'too_large']),
  mimeType: z.string().nullable(),
  fileSize: z.number().nullable(),
  fileName: z.string().nullable(),
  error: z.string().nullable(),
});

export const entrySchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  actorType: z.enum(['EndUser', 'Agent', 'Bot', 'System']),
  type: z.string(),
  text: z.string().nullable(),
  content: z.unknown(),
  wamid: z.string().nullable(),
  contextWamid: z.string().nullable(),
  status: z.string(),
  error: z.unknown().nullable(),
  occurredAt: z.string(),
  media: mediaSchema.nullable(),
});

export const messageSchema = entrySchema.extend({ statusHistory: z.array(statusHistoryItemSchema) });

export const contactSchema = z.object({
  type: z.enum(['Contact', 'Lead']),
  id: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string(),
  phone: z.string().nullable(),
  phoneE164: z.string().nullable(),
  email: z.string().nullable(),
  company: z.string().nullable(),
});

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export type ApiErrorBody = z.infer<typeof apiErrorSchema>;
export type SessionStatus = z.infer<typeof sessionStatusSchema>;
export type CrmRef = z.infer<typeof crmRefSchema>;
export type EndUser = z.infer<typeof endUserSchema>;
export type Conversation = z.infer<typeof conversationSchema>;
export type Entry = z.infer<typeof entrySchema>;
export type Message = z.infer<typeof messageSchema>;
export type ContactRecord = z.infer<typeof contactSchema>;
export type StatusHistoryItem = z.infer<typeof statusHistoryItemSchema>;
export type MediaInfo = z.infer<typeof mediaSchema>;
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
