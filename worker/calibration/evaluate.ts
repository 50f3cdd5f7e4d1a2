/**
 * Side-by-side figures for a config on labelled rows: AUC of the score, log-loss of its
 * Platt-calibrated probability, and precision/recall of MQL-or-better and SQL. Pure.
 */
import type { SiteConfig } from '../schema/config';
import { auc, logLoss, plattProbability, plattScale, precisionRecall, type Platt, type Selection } from './metrics';
import { rowScore, type RowScore } from './row-score';
import type { TrainingRow } from './training-row';

export type Labelled = { row: TrainingRow; y: number; w: number };

export type Evaluation = {
  auc: number | null;
  logLoss: number;
  /** Reached MQL or beyond. */
  mql: Selection;
  sql: Selection;
};

export type ScoredRow = Labelled & RowScore;

export const scoreRows = (rows: Labelled[], config: SiteConfig): ScoredRow[] => rows.map((r) => ({ ...r, ...rowScore(r.row, config) }));

/** The probability mapping of a config's score, learned on training rows. */
export const calibrationOf = (train: ScoredRow[]): Platt => plattScale(train);

export function evaluate(rows: ScoredRow[], platt: Platt): Evaluation {
  return {
    auc: round(auc(rows)),
    logLoss: round(logLoss(rows.map((r) => ({ p: plattProbability(platt, r.score), y: r.y, w: r.w }))))!,
    mql: roundSel(precisionRecall(rows.map((r) => ({ ...r, selected: r.stage === 'mql' || r.stage === 'sql' })))),
    sql: roundSel(precisionRecall(rows.map((r) => ({ ...r, selected: r.stage === 'sql' })))),
  };
}

export const round = (n: number | null, digits = 4): number | null => (n === null || !Number.isFinite(n) ? null : Number(n.toFixed(digits)));
const roundSel = (s: Selection): Selection => ({ precision: round(s.precision), recall: round(s.recall), selected: s.selected });
