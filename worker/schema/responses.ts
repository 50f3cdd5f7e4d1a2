/** Response shapes of the public API, as zod schemas (the OpenAPI document is generated from them). */
import { z } from 'zod';
import { StageSchema } from './config';

export const CtaSchema = z.object({
  id: z.string().describe('Stable id, reported back in cta_click'),
  text: z.string().describe('Plain text; the SDK sets it with textContent'),
  html: z
    .string()
    .optional()
    .describe('The text with its visitor values ({{name}}...) HTML-escaped, present when that differs from text; what the SDK puts into innerHTML with allowHtml (html ?? text)'),
  href: z.string().optional(),
  variant: z.string().optional(),
});
export type Cta = z.infer<typeof CtaSchema>;

export const DecisionSchema = z.object({
  visitor: z.object({
    id: z.string(),
    stage: StageSchema,
    score: z.number().optional().describe('Present only when the site config sets exposeScore'),
  }),
  ctas: z.record(z.string(), CtaSchema).describe('What each page slot (data-le-slot) shows'),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const CollectResponseSchema = DecisionSchema.extend({
  accepted: z.number().int().describe('Events applied now'),
  duplicates: z.number().int().describe('Events already applied before (same id): ignored'),
  tracked: z.boolean().describe('false when the request carried Sec-GPC: 1 and the site honours it'),
  erased: z
    .literal(true)
    .optional()
    .describe('The visitor was erased: events captured before the erasure were refused, and the SDK forgets its anonymous id, session, cached decision and queued events'),
  person: z
    .string()
    .optional()
    .describe('The person this browser is linked to: the SDK sends it back as the batch field `person`, so its beacons go straight to the person (absent: not linked, forget it)'),
});
export type CollectResponse = z.infer<typeof CollectResponseSchema>;

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable, machine-readable: invalid_batch, invalid_json, body_too_large, unknown_site, origin_not_allowed, ...'),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
