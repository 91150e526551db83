import { z } from 'zod';
import type { OutboundContent } from '../domain/outbound.ts';

/**
 * The shape of a send request. Structure only: Meta's limits (lengths, counts) are checked by
 * domain/outbound-validation.ts, which names the field at fault.
 */
const media = z.object({
  id: z.string().min(1).optional(),
  link: z.string().min(1).optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
});

const templateParameter = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string(), parameterName: z.string().optional() }),
  z.object({
    type: z.literal('currency'),
    fallbackValue: z.string(),
    code: z.string().length(3),
    amount1000: z.number().int(),
    parameterName: z.string().optional(),
  }),
  z.object({ type: z.literal('date_time'), fallbackValue: z.string(), parameterName: z.string().optional() }),
]);

const headerParameter = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string(), parameterName: z.string().optional() }),
  z.object({ type: z.enum(['image', 'video', 'document']), media }),
  z.object({
    type: z.literal('location'),
    latitude: z.number(),
    longitude: z.number(),
    name: z.string().optional(),
    address: z.string().optional(),
  }),
]);

const interactiveHeader = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.enum(['image', 'video', 'document']), media }),
]);

const interactive = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('button'),
    header: interactiveHeader.optional(),
    body: z.string(),
    footer: z.string().optional(),
    buttons: z.array(z.object({ id: z.string(), title: z.string() })),
  }),
  z.object({
    type: z.literal('list'),
    header: z.object({ type: z.literal('text'), text: z.string() }).optional(),
    body: z.string(),
    footer: z.string().optional(),
    buttonText: z.string(),
    sections: z.array(
      z.object({
        title: z.string().optional(),
        rows: z.array(z.object({ id: z.string(), title: z.string(), description: z.string().optional() })),
      }),
    ),
  }),
  z.object({
    type: z.literal('cta_url'),
    header: interactiveHeader.optional(),
    body: z.string(),
    footer: z.string().optional(),
    displayText: z.string(),
    url: z.string(),
  }),
]);

export const contentSchema: z.ZodType<OutboundContent> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), body: z.string(), previewUrl: z.boolean().optional() }),
  z.object({ type: z.enum(['image', 'audio', 'video', 'document', 'sticker']), media }),
  z.object({
    type: z.literal('template'),
    template: z.object({
      name: z.string(),
      language: z.string(),
      header: headerParameter.optional(),
      body: z.array(templateParameter).optional(),
      buttons: z
        .array(
          z.object({
            index: z.number().int().min(0),
            subType: z.enum(['url', 'quick_reply', 'copy_code']),
            value: z.string(),
          }),
        )
        .optional(),
    }),
  }),
  z.object({ type: z.literal('interactive'), interactive }),
  z.object({ type: z.literal('reaction'), targetWamid: z.string(), emoji: z.string() }),
]);

export const conversationSendSchema = z.object({
  content: contentSchema,
  replyToWamid: z.string().optional(),
});

export const directSendSchema = z.object({
  /** the channel: its id or its phone_number_id */
  channel: z.string().min(1),
  to: z.string(),
  content: contentSchema,
  replyToWamid: z.string().optional(),
});
