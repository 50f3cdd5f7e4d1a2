/**
 * Historical leads sent by `npm run import` (CSV + mapping, see scripts/import.mjs): the shape the
 * import route accepts, and the training row each one becomes. Pure.
 */
import { z } from 'zod';
import { TraitsSchema, VisitorIdSchema } from '../schema/events';
import { FORBIDDEN_KEYS } from '../schema/limits';
import { anonymizeTraits, type TrainingRow } from './training-row';

/** Rows per import request (the script sends batches of this size). */
export const IMPORT_BATCH_MAX = 500;
/** Largest import request body. */
export const IMPORT_BODY_MAX_BYTES = 1024 * 1024;

const Count = z.number().finite().min(0).max(1_000_000);
const safeKey = (pattern: RegExp, message: string) =>
  z.string().min(1).max(64).regex(pattern, message).refine((k) => !FORBIDDEN_KEYS.has(k), 'reserved key name');
const bounded = <T extends z.ZodType>(record: T, max: number, what: string) =>
  record.refine((r) => Object.keys(r as object).length <= max, `at most ${max} ${what}`);

export const ImportRowSchema = z
  .object({
    /** The lead's id in your CRM; importing the same id again replaces the row. */
    id: VisitorIdSchema,
    outcome: z.enum(['won', 'lost']),
    /** When the outcome was known: epoch ms or an ISO date. Default: the time of import. */
    at: z.union([z.number().int().min(0).max(8.64e15), z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO date such as 2025-03-31')]).optional(),
    traits: TraitsSchema.optional(),
    /** Events per type (`download`) or custom event name (`calculator_used`). */
    events: bounded(z.record(safeKey(/^[A-Za-z][A-Za-z0-9_.:-]*$/, 'an event type or custom event name'), Count), 57, 'event names').optional(),
    /** Hits per behaviour rule id, for rules that test paths or props (`pricing-page`: 3). */
    rules: bounded(z.record(safeKey(/^[a-z0-9][a-z0-9_.-]*$/, 'a rule id'), Count), 200, 'rules').optional(),
    /** Interest per topic (events about it). */
    topics: bounded(z.record(safeKey(/^[^\s].*$/, 'a topic'), Count), 20, 'topics').optional(),
  })
  .strict();
export type ImportRow = z.infer<typeof ImportRowSchema>;

export const ImportBodySchema = z.object({ rows: z.array(ImportRowSchema).min(1).max(IMPORT_BATCH_MAX) }).strict();

/**
 * @example importedRow({ id: 'crm-17', outcome: 'won', events: { demo_request: 1 } }, Date.now()).counts // { demo_request: 1 }
 */
export function importedRow(input: ImportRow, now: number): TrainingRow {
  const at = input.at === undefined ? now : typeof input.at === 'number' ? input.at : Date.parse(input.at);
  return {
    id: input.id,
    origin: 'import',
    source: input.outcome,
    at,
    counts: { ...input.events },
    rules: { ...input.rules },
    topics: Object.fromEntries(Object.entries(input.topics ?? {}).map(([t, v]) => [t.trim().toLowerCase(), v])),
    traits: anonymizeTraits(input.traits ?? {}),
    recency: { daysSinceLastSeen: 0, activeDays: 0 },
  };
}
