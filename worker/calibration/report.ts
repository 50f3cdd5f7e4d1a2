/** The per-rule table of a calibration: current and proposed points, and why. Pure. */
import type { BehaviorRule, FitRule } from '../schema/config';
import type { Column } from './features';
import type { RulePoints } from './proposal';

export type RuleReport = {
  id: string;
  kind: 'behavior' | 'fit';
  /**
   * `new`: a proposed rule; `changed` / `unchanged`: re-weighed; `no-data`: no training lead has
   * it, `no-signal`: every training lead has it the same way (both keep their points).
   */
  status: 'new' | 'changed' | 'unchanged' | 'no-data' | 'no-signal';
  description?: string;
  currentPoints: number | null;
  proposedPoints: number;
  /** Log-odds per hit (behaviour) or per match (fit); null when not fitted. */
  weight: number | null;
  /** Training leads on which the rule counts. */
  support: number;
  /** What a new rule matches. */
  when?: BehaviorRule['when'];
  trait?: FitRule['trait'];
  match?: FitRule['match'];
};

export function describeRules(columns: Column[], support: number[], chosen: number[], weights: number[], points: RulePoints[]): RuleReport[] {
  const weightOf = new Map(chosen.map((j, k) => [columns[j]!.key, weights[k]!]));
  const pointsOf = new Map(points.map((p) => [p.column.key, p]));
  const out: RuleReport[] = [];
  columns.forEach((col, j) => {
    const learned = pointsOf.get(col.key);
    if (col.isNew) {
      if (!learned) return;
      const rule = learned.column.rule;
      out.push({
        id: rule.id,
        kind: col.kind,
        status: 'new',
        description: rule.description,
        currentPoints: null,
        proposedPoints: learned.points,
        weight: round(weightOf.get(col.key) ?? null),
        support: support[j]!,
        ...(col.kind === 'behavior' ? { when: col.rule.when } : { trait: col.rule.trait, match: col.rule.match }),
      });
      return;
    }
    const current = col.rule.points;
    const status = learned ? (learned.points === current ? 'unchanged' : 'changed') : support[j]! === 0 ? 'no-data' : 'no-signal';
    out.push({
      id: col.rule.id,
      kind: col.kind,
      status,
      description: col.rule.description,
      currentPoints: current,
      proposedPoints: learned ? learned.points : current,
      weight: round(weightOf.get(col.key) ?? null),
      support: support[j]!,
    });
  });
  return out;
}

const round = (n: number | null) => (n === null ? null : Math.round(n * 1e4) / 1e4);
