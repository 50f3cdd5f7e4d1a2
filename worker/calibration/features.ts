/**
 * The feature space of a calibration: one column per scoring rule, existing or proposed. A column's
 * value on a row is exactly what the rule multiplies its points by (capped hits for a behaviour
 * rule, 0/1 for a fit rule), so fitted weights are points per rule up to one scale. Pure.
 */
import type { BehaviorRule, FitRule, SiteConfig } from '../schema/config';
import { fitRuleMatches } from '../scoring/fit';
import type { SparseRow } from './logistic';
import { ruleHits } from './row-score';
import type { TrainingRow } from './training-row';

/** A proposed behaviour rule counts at most this many hits (its `maxPoints` is 3 × its points). */
export const NEW_RULE_CAP_HITS = 3;

export type Column =
  | { key: string; kind: 'behavior'; isNew: boolean; rule: BehaviorRule; capHits: number | null }
  | { key: string; kind: 'fit'; isNew: boolean; rule: FitRule; word?: string };

/** Columns for the rules the config already has. */
export function existingColumns(config: SiteConfig): Column[] {
  return [
    ...config.scoring.behavior.map((rule): Column => ({ key: `rule:${rule.id}`, kind: 'behavior', isNew: false, rule, capHits: capHits(rule) })),
    ...config.scoring.fit.map((rule): Column => ({ key: `fit:${rule.id}`, kind: 'fit', isNew: false, rule })),
  ];
}

/** How many hits a rule's `maxPoints` lets count (null: no cap). */
export function capHits(rule: BehaviorRule): number | null {
  return rule.maxPoints !== undefined && rule.points !== 0 ? rule.maxPoints / Math.abs(rule.points) : null;
}

/** The words of a text the way fit rules' `anyWord` sees them. */
export function words(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0));
}

/** Per-row work shared by all columns (the title's words). */
export type RowContext = { row: TrainingRow; titleWords: Set<string> };
export const rowContext = (row: TrainingRow): RowContext => ({ row, titleWords: words(String(row.traits.title ?? '')) });

export function columnValue(col: Column, ctx: RowContext): number {
  if (col.kind === 'fit') {
    // A one-word title candidate is `anyWord: [word]`: the same test, without re-tokenizing per column.
    if (col.word !== undefined) return ctx.titleWords.has(col.word) ? 1 : 0;
    return fitRuleMatches(col.rule, ctx.row.traits) ? 1 : 0;
  }
  const hits = ruleHits(col.rule, ctx.row);
  return col.capHits === null ? hits : Math.sign(hits) * Math.min(Math.abs(hits), col.capHits);
}

/** The sparse design matrix (zeros left out). */
export function designMatrix(rows: TrainingRow[], columns: Column[]): SparseRow[] {
  return rows.map((row) => {
    const ctx = rowContext(row);
    const out: SparseRow = { idx: [], val: [] };
    columns.forEach((col, j) => {
      const v = columnValue(col, ctx);
      if (v !== 0) {
        out.idx.push(j);
        out.val.push(v);
      }
    });
    return out;
  });
}

/** Per column: rows where it is non-zero, and its variance (weighted by row weight). */
export function columnStats(x: SparseRow[], w: number[], p: number): { support: number[]; variance: number[] } {
  const support = new Array<number>(p).fill(0);
  const s1 = new Array<number>(p).fill(0);
  const s2 = new Array<number>(p).fill(0);
  let sw = 0;
  x.forEach((row, i) => {
    const wi = w[i]!;
    sw += wi;
    row.idx.forEach((j, k) => {
      const v = row.val[k]!;
      support[j]! += 1;
      s1[j]! += wi * v;
      s2[j]! += wi * v * v;
    });
  });
  const variance = s1.map((m1, j) => (sw > 0 ? Math.max(0, s2[j]! / sw - (m1 / sw) ** 2) : 0));
  return { support, variance };
}
