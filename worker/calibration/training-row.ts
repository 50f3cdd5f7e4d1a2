/**
 * One labelled lead, as calibration sees it: bounded facts from the visitor's aggregates at the
 * moment sales or an outcome labelled it, plus the label. Pure; no names, phones or email local
 * parts are kept (only the email's domain, which fit rules may read).
 */
import type { SiteConfig } from '../schema/config';
import type { Traits } from '../schema/events';
import type { Aggregates } from '../scoring/aggregates';
import { valueAt } from '../scoring/decay';
import { DAY_MS } from '../time';

/**
 * Where a label comes from. `won` / `lost` are outcomes (the truth); `accepted` (sales accepted
 * the lead) is a weaker positive, `disqualified` (rejected for good) a negative. A recycle is no
 * label: the lead is not a buyer *yet*, which says nothing about fit or behaviour.
 */
export const LABEL_SOURCES = ['won', 'lost', 'accepted', 'disqualified'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];
export type RowOrigin = 'live' | 'import';

export type TrainingRow = {
  /** The visitor id (live rows) or the imported lead's id. */
  id: string;
  origin: RowOrigin;
  source: LabelSource;
  /** When the label was given (epoch ms); rows are dropped oldest first past the cap. */
  at: number;
  /** Events per type and per custom `track` name (raw counts, as in the aggregates). */
  counts: Record<string, number>;
  /** Hits per behaviour rule at `at` (decayed like the score; imported rows: plain counts). */
  rules: Record<string, number>;
  /** Decayed interest per topic at `at`. */
  topics: Record<string, number>;
  /** Traits without names or phone; `email` is reduced to `@domain`. */
  traits: Traits;
  /** Days between the last event and the label, and between the first and last event. */
  recency: { daysSinceLastSeen: number; activeDays: number };
};

/** What a visitor object sends its site object with a verdict or an outcome. */
export type TrainingUpdate =
  | { kind: 'label'; row: TrainingRow }
  /** A recycle: a label that came from an earlier verdict no longer holds (outcomes stay). */
  | { kind: 'unlabel'; id: string; at: number };

/** Outcomes outrank verdicts: a verdict never replaces a won/lost label. */
export const LABEL_RANK: Record<LabelSource, number> = { won: 2, lost: 2, accepted: 1, disqualified: 1 };

export const isPositive = (source: LabelSource) => source === 'won' || source === 'accepted';

const round4 = (n: number) => Math.round(n * 1e4) / 1e4;

/**
 * The row a visitor contributes when it is labelled at `at`.
 * @example trainingRow('ana-1', agg, config, 'won', Date.now()).rules // { 'demo-request': 1, ... }
 */
export function trainingRow(id: string, agg: Aggregates, config: SiteConfig, source: LabelSource, at: number): TrainingRow {
  const halfLife = config.scoring.halfLifeDays;
  const rules: Record<string, number> = {};
  for (const rule of config.scoring.behavior) {
    const hist = Object.hasOwn(agg.rules, rule.id) ? agg.rules[rule.id] : undefined;
    if (hist) rules[rule.id] = round4(valueAt(hist, at, halfLife));
  }
  const topics: Record<string, number> = {};
  for (const [topic, acc] of Object.entries(agg.topics)) topics[topic] = round4(valueAt(acc, at, halfLife));
  return {
    id,
    origin: 'live',
    source,
    at,
    counts: { ...agg.counts },
    rules,
    topics,
    traits: anonymizeTraits(agg.traits),
    recency: {
      daysSinceLastSeen: round4(Math.max(0, at - agg.lastSeen) / DAY_MS),
      activeDays: round4(Math.max(0, agg.lastSeen - agg.firstSeen) / DAY_MS),
    },
  };
}

/** Drops what identifies a person and is never a scoring signal; keeps the email's domain. */
export function anonymizeTraits(traits: Traits): Traits {
  const { name: _n, firstName: _f, lastName: _l, phone: _p, email, ...rest } = traits;
  const domain = email?.split('@')[1];
  return { ...rest, ...(domain ? { email: `@${domain.toLowerCase()}` } : {}) };
}
