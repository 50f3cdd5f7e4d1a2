/**
 * The proposed config document: the current one with learned points per rule, learned rules
 * appended, and the thresholds chosen for the target precision. Everything else (CTAs, webhooks,
 * privacy) is left as it is, so `PUT /v1/admin/sites/:site` accepts it as is. Pure.
 */
import type { BehaviorRule, FitRule, SiteConfigInput } from '../schema/config';
import { LIMITS } from '../schema/limits';
import type { Column } from './features';

export type RulePoints = { column: Column; points: number };

/**
 * @example buildProposal(doc, [{ column, points: 35 }], { mql: 40, sql: 95 }).stages // { mql: { score: 40, fit: 0 }, sql: { score: 95, fit: 0 } }
 */
export function buildProposal(document: SiteConfigInput, rules: RulePoints[], stages: { mql: number; sql: number }): SiteConfigInput {
  const doc = structuredClone(document);
  const scoring = (doc.scoring ??= {});
  const behavior = (scoring.behavior ??= []);
  const fit = (scoring.fit ??= []);
  const byId = new Map(rules.filter((r) => !r.column.isNew).map((r) => [`${r.column.kind}:${r.column.rule.id}`, r]));

  scoring.behavior = behavior.map((rule) => {
    const learned = byId.get(`behavior:${rule.id}`);
    return learned ? withPoints(rule, learned) : rule;
  });
  scoring.fit = fit.map((rule) => {
    const learned = byId.get(`fit:${rule.id}`);
    return learned ? { ...rule, points: learned.points } : rule;
  });

  for (const r of rules.filter((x) => x.column.isNew)) {
    const col = r.column;
    if (col.kind === 'behavior') {
      if (scoring.behavior.length >= LIMITS.maxRules) continue;
      const rule: BehaviorRule = { ...col.rule, points: r.points };
      scoring.behavior.push(col.capHits !== null && r.points !== 0 ? { ...rule, maxPoints: capPoints(col.capHits, r.points) } : rule);
    } else {
      if (scoring.fit.length >= LIMITS.maxRules) continue;
      scoring.fit.push({ ...col.rule, points: r.points } satisfies FitRule);
    }
  }

  doc.stages = { mql: { score: stages.mql, fit: 0 }, sql: { score: stages.sql, fit: 0 } };
  return doc;
}

type BehaviorRuleInput = NonNullable<NonNullable<SiteConfigInput['scoring']>['behavior']>[number];

/** New points for a behaviour rule; a cap keeps the same number of hits. */
function withPoints(rule: BehaviorRuleInput, learned: RulePoints): BehaviorRuleInput {
  const col = learned.column;
  if (rule.maxPoints === undefined || col.kind !== 'behavior' || col.capHits === null || learned.points === 0) {
    return { ...rule, points: learned.points };
  }
  return { ...rule, points: learned.points, maxPoints: capPoints(col.capHits, learned.points) };
}

const capPoints = (hits: number, points: number) => Math.min(100_000, Math.max(0.1, Math.round(hits * Math.abs(points) * 10) / 10));

/** Gives each new rule an id no rule of its kind has yet (`learned-plan-pro`, `learned-plan-pro-2`). */
export function withUniqueIds(rules: RulePoints[], document: SiteConfigInput): RulePoints[] {
  const taken = {
    behavior: new Set((document.scoring?.behavior ?? []).map((r) => r.id)),
    fit: new Set((document.scoring?.fit ?? []).map((r) => r.id)),
  };
  return rules.map((r) => {
    if (!r.column.isNew) return r;
    const ids = taken[r.column.kind];
    const id = uniqueId(r.column.rule.id, ids);
    ids.add(id);
    return { ...r, column: { ...r.column, rule: { ...r.column.rule, id } } as Column };
  });
}

function uniqueId(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const id = `${base.slice(0, 60)}-${i}`;
    if (!taken.has(id)) return id;
  }
}
