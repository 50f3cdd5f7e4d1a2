/**
 * What no rule covers yet, as candidate rules: custom event names and event types without a rule,
 * topics, trait values (industry, country, email domain, custom categorical traits such as an
 * occupation), title words and numeric buckets (company size, numeric custom traits). A candidate
 * becomes a proposed rule only if the fit gives it weight. Pure.
 */
import { BehaviorRuleSchema, FitRuleSchema, type BehaviorRule, type FitRule, type SiteConfig } from '../schema/config';
import type { EventType, Traits } from '../schema/events';
import { fitRuleMatches } from '../scoring/fit';
import { NEW_RULE_CAP_HITS, rowContext, words, type Column } from './features';
import { derivable, keyMatches } from './row-score';
import type { TrainingRow } from './training-row';

export type CandidateOptions = {
  /** A candidate needs at least this many rows with it and this many without it. */
  minSupport: number;
  /** At most this many candidates enter the fit (the most balanced first). */
  maxCandidates: number;
};

const CATEGORICAL_TRAITS = ['industry', 'country', 'emailDomain'] as const;
const COMPANY_SIZE_CUTS = [10, 50, 200, 1000, 5000];
const BUILTIN_EVENTS = ['page_view', 'download', 'webinar_signup', 'demo_request', 'cta_click'] as const;
/** Events every lead has, or that say nothing on their own. */
const SKIPPED_EVENTS = new Set(['identify']);
const STOP_WORDS = new Set(['of', 'the', 'and', 'at', 'in', 'for', 'to', 'a', 'an', 'de', 'y', 'et']);

export function candidateColumns(rows: TrainingRow[], config: SiteConfig, opts: CandidateOptions): Column[] {
  const out: { col: Column; support: number }[] = [];
  const n = rows.length;
  const keep = (col: Column, support: number) => {
    if (support < opts.minSupport || n - support < opts.minSupport) return;
    // Only rules the config schema accepts (a custom trait key with a space cannot be a fit rule's trait).
    const valid = col.kind === 'fit' ? FitRuleSchema.safeParse(col.rule).success : BehaviorRuleSchema.safeParse(col.rule).success;
    if (valid) out.push({ col, support });
  };

  // Behaviour: event keys and topics that no plain rule counts.
  const plain = config.scoring.behavior.filter((r) => derivable(r) && r.when.topic === undefined);
  for (const [key, support] of tally(rows, (r) => Object.keys(r.counts).filter((k) => (r.counts[k] ?? 0) > 0))) {
    if (SKIPPED_EVENTS.has(key) || plain.some((r) => keyMatches(r, key))) continue;
    const builtin = (BUILTIN_EVENTS as readonly string[]).includes(key);
    const when: BehaviorRule['when'] = builtin ? { type: key as EventType } : { type: 'track', name: key };
    keep(newBehavior(`event:${key}`, key, when, builtin ? `${key} events` : `custom event "${key}"`), support);
  }
  const coveredTopics = new Set(config.scoring.behavior.flatMap((r) => (r.when.topic === undefined ? [] : [r.when.topic].flat().map((t) => t.toLowerCase()))));
  for (const [topic, support] of tally(rows, (r) => Object.keys(r.topics).filter((t) => (r.topics[t] ?? 0) > 0))) {
    if (!coveredTopics.has(topic)) keep(newBehavior(`topic:${topic}`, `topic-${topic}`, { topic }, `interest in "${topic}"`), support);
  }

  // Fit: categorical values, title words, numeric buckets.
  const fitRules = config.scoring.fit;
  const covered = (trait: string, value: string | number | boolean) => fitRules.some((r) => r.trait === trait && fitRuleMatches(r, traitsWith(trait, value)));
  for (const trait of [...CATEGORICAL_TRAITS, ...customKeys(rows, 'string')]) {
    for (const [value, support] of tally(rows, (r) => scalarOf(r.traits, trait))) {
      if (value.length > 200 || covered(trait, value)) continue;
      keep(newFit(`trait:${trait}=${value}`, `${trait.replace(/^custom\./, '')}-${value}`, { trait, match: { equals: value } }, `${label(trait)} is "${value}"`), support);
    }
  }
  for (const trait of customKeys(rows, 'boolean')) {
    for (const [value, support] of tally(rows, (r) => scalarOf(r.traits, trait))) {
      const bool = value === 'true';
      if (covered(trait, bool)) continue;
      keep(newFit(`trait:${trait}=${value}`, `${trait.replace(/^custom\./, '')}-${value}`, { trait, match: { equals: bool } }, `${label(trait)} is ${value}`), support);
    }
  }
  for (const [word, support] of tally(rows, (r) => [...rowContext(r).titleWords])) {
    if (word.length < 2 || word.length > 64 || STOP_WORDS.has(word) || /^\d+$/.test(word) || covered('title', word)) continue;
    const col = newFit(`title~${word}`, `title-${word}`, { trait: 'title', match: { anyWord: [word] } }, `title contains "${word}"`);
    if (col.kind === 'fit') col.word = word;
    keep(col, support);
  }
  for (const [trait, cuts] of numericTraits(rows)) {
    for (const cut of cuts) {
      if (fitRules.some((r) => r.trait === trait && r.match.gte === cut)) continue;
      const rule: Omit<FitRule, 'id' | 'points'> = { trait: trait as FitRule['trait'], match: { gte: cut } };
      const support = rows.filter((r) => fitRuleMatches({ ...rule, id: 'x', points: 0 }, r.traits)).length;
      keep(newFit(`trait:${trait}>=${cut}`, `${trait.replace(/^custom\./, '')}-${cut}-plus`, rule, `${label(trait)} ≥ ${cut}`), support);
    }
  }

  return out
    .sort((a, b) => Math.min(b.support, n - b.support) - Math.min(a.support, n - a.support) || (a.col.key < b.col.key ? -1 : 1))
    .slice(0, opts.maxCandidates)
    .map((c) => c.col);
}

function newBehavior(key: string, slug: string, when: BehaviorRule['when'], what: string): Column {
  const rule: BehaviorRule = { id: ruleId(slug), description: `Learned from outcomes: ${what}`, when, points: 0, cooldownMinutes: 0 };
  return { key, kind: 'behavior', isNew: true, rule, capHits: NEW_RULE_CAP_HITS };
}

function newFit(key: string, slug: string, rule: Omit<FitRule, 'id' | 'points'>, what: string): Column {
  return { key, kind: 'fit', isNew: true, rule: { ...rule, id: ruleId(slug), description: `Learned from outcomes: ${what}`.slice(0, 200), points: 0 } };
}

/** A valid rule id (`learned-…`); the proposal makes it unique. */
export function ruleId(slug: string): string {
  const clean = slug.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '');
  return `learned-${clean || 'rule'}`.slice(0, 64).replace(/-+$/, '');
}

/** How many rows have each value. */
function tally(rows: TrainingRow[], valuesOf: (row: TrainingRow) => string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) for (const v of new Set(valuesOf(row))) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

const label = (trait: string) => (trait.startsWith('custom.') ? trait.slice(7) : trait);

/** A trait's value as a normalized string (what `equals` compares, case-insensitively). */
function scalarOf(traits: Traits, trait: string): string[] {
  let v: unknown;
  if (trait === 'emailDomain') v = traits.email?.split('@')[1];
  else if (trait.startsWith('custom.')) v = traits.custom && Object.hasOwn(traits.custom, trait.slice(7)) ? traits.custom[trait.slice(7)] : undefined;
  else v = (traits as Record<string, unknown>)[trait];
  if (typeof v === 'string' && v.trim() !== '') return [v.trim().toLowerCase()];
  if (typeof v === 'boolean') return [String(v)];
  return [];
}

function traitsWith(trait: string, value: string | number | boolean): Traits {
  if (trait === 'emailDomain') return { email: `x@${value}` };
  if (trait.startsWith('custom.')) return { custom: { [trait.slice(7)]: value } };
  return { [trait]: value } as Traits;
}

/** `custom.<key>` traits whose values are of the given type in at least one row. */
function customKeys(rows: TrainingRow[], type: 'string' | 'boolean'): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const [k, v] of Object.entries(r.traits.custom ?? {})) if (typeof v === type) keys.add(`custom.${k}`);
  return [...keys].sort();
}

/** Company size with fixed cuts; numeric custom traits cut at their quartiles (2 significant digits). */
function numericTraits(rows: TrainingRow[]): [string, number[]][] {
  const out: [string, number[]][] = [['companySize', COMPANY_SIZE_CUTS]];
  const values = new Map<string, number[]>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(r.traits.custom ?? {})) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const list = values.get(`custom.${k}`) ?? [];
      list.push(v);
      values.set(`custom.${k}`, list);
    }
  }
  for (const [trait, vs] of [...values].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const sorted = vs.sort((a, b) => a - b);
    const cuts = [0.25, 0.5, 0.75].map((q) => Number(sorted[Math.floor(q * (sorted.length - 1))]!.toPrecision(2)));
    out.push([trait, [...new Set(cuts)]]);
  }
  return out;
}
