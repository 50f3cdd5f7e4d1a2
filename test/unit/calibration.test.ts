import { describe, expect, it } from 'vitest';
import { calibrate } from '../../worker/calibration/calibrate';
import { CalibrateOptionsSchema, CalibrationError, type CalibrateOptionsInput } from '../../worker/calibration/options';
import { rowScore } from '../../worker/calibration/row-score';
import { resolveConfig, type SiteConfigInput } from '../../worker/schema/config';
import { makeRow, syntheticLeads } from '../helpers/training';

/** The config the synthetic leads are scored with today: hand-set guesses. */
const DOC: SiteConfigInput = {
  scoring: {
    halfLifeDays: 0,
    behavior: [
      { id: 'pricing', when: { type: 'page_view', path: '/pricing' }, points: 10, maxPoints: 20 },
      { id: 'blog', when: { type: 'page_view', path: '/blog/**' }, points: 5, maxPoints: 15 },
    ],
    fit: [{ id: 'vp', trait: 'title', match: { anyWord: ['vp'] }, points: 10 }],
  },
  stages: { mql: { score: 20 }, sql: { score: 40 } },
  ctas: { hero: [{ id: 'hi', text: 'Hello' }] },
  webhooks: [{ id: 'crm', url: 'https://crm.example.com/hook', secret: 'whsec_********abcd', events: ['lead.sql'] }],
};
const config = () => {
  const r = resolveConfig({ ...DOC, webhooks: [] });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
};
const run = (rows = syntheticLeads(6000, 3), options: CalibrateOptionsInput = {}, doc = DOC) =>
  calibrate(rows, doc, config(), CalibrateOptionsSchema.parse(options));

describe('calibration on synthetic leads with known weights', () => {
  const result = run(syntheticLeads(8000, 3), { l2: 0.3 });
  const rule = (id: string) => result.rules.find((r) => r.id === id)!;
  // logit = -2 + 1.5·pricing + 2·VP + 1.2·calculator − 2·student (blog: no effect).
  const truth: Record<string, number> = { pricing: 1.5, vp: 2, 'learned-calculator_used': 1.2, 'learned-occupation-student': -2, blog: 0 };

  it('recovers each weight within 0.25 log-odds, new rules included', () => {
    for (const [id, w] of Object.entries(truth)) expect(Math.abs(rule(id).weight! - w), id).toBeLessThan(0.25);
    expect(result.model.converged).toBe(true);
  });

  it('expresses them as points per rule on one scale (points = weight × pointsPerLogit, rounded)', () => {
    const s = result.model.pointsPerLogit;
    for (const id of Object.keys(truth)) expect(Math.abs(rule(id).proposedPoints - rule(id).weight! * s)).toBeLessThanOrEqual(0.5);
    expect(rule('learned-calculator_used')).toMatchObject({ status: 'new', kind: 'behavior', when: { type: 'track', name: 'calculator_used' } });
    expect(rule('learned-occupation-student')).toMatchObject({ status: 'new', kind: 'fit', trait: 'custom.occupation', match: { equals: 'student' } });
    // Its complement ("occupation is marketer") would say the same thing: not proposed.
    expect(result.rules.map((r) => r.id)).not.toContain('learned-occupation-marketer');
  });

  it('ranks held-out leads better than the hand-set points, and says so side by side', () => {
    const { current, proposed } = result.evaluation;
    expect(proposed.auc!).toBeGreaterThan(current.auc! + 0.05);
    expect(proposed.logLoss).toBeLessThan(current.logLoss);
    expect(result.rows).toMatchObject({ labelled: 8000, train: 6000, holdout: 2000 });
  });

  it('sets the SQL threshold for the target precision', () => {
    expect(result.thresholds.sql).toMatchObject({ targetPrecision: 0.8, met: true });
    expect(result.thresholds.sql.trainPrecision!).toBeGreaterThanOrEqual(0.8);
    expect(result.evaluation.proposed.sql.precision!).toBeGreaterThan(0.7);
    expect(result.thresholds.sql.proposed).toBeGreaterThanOrEqual(result.thresholds.mql.proposed);
  });

  it('proposes a whole valid config document: same CTAs and (masked) webhooks, new points, new rules, thresholds', () => {
    const p = result.proposal;
    expect(p.ctas).toEqual(DOC.ctas);
    expect(p.webhooks).toEqual(DOC.webhooks);
    const resolved = resolveConfig({ ...p, webhooks: [] });
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    const pricing = resolved.config.scoring.behavior.find((r) => r.id === 'pricing')!;
    expect(pricing.points).toBe(rule('pricing').proposedPoints);
    expect(pricing.maxPoints).toBeCloseTo(2 * Math.abs(pricing.points), 5); // the same 2 hits count
    const calc = resolved.config.scoring.behavior.find((r) => r.id === 'learned-calculator_used')!;
    expect(calc.maxPoints).toBeCloseTo(3 * calc.points, 5);
    expect(resolved.config.stages).toEqual({ mql: { score: result.thresholds.mql.proposed, fit: 0 }, sql: { score: result.thresholds.sql.proposed, fit: 0 } });
  });

  it('the breakdown of a lead under the proposal names the learned rules', () => {
    const resolved = resolveConfig({ ...result.proposal, webhooks: [] });
    if (!resolved.ok) throw new Error('invalid');
    const lead = makeRow({ counts: { calculator_used: 2 }, traits: { custom: { occupation: 'Student' } } });
    const s = rowScore(lead, resolved.config);
    expect(s.score).toBeCloseTo(2 * rule('learned-calculator_used').proposedPoints + rule('learned-occupation-student').proposedPoints, 5);
  });
});

describe('determinism and options', () => {
  it('the same rows, seed and options give the same answer; another seed another holdout', () => {
    const rows = syntheticLeads(800, 5);
    expect(run(rows, { seed: 2 })).toEqual(run(rows, { seed: 2 }));
    expect(run(rows, { seed: 3 }).evaluation).not.toEqual(run(rows, { seed: 2 }).evaluation);
  });

  it('maxNewRules 0 only re-weighs the existing rules', () => {
    const r = run(syntheticLeads(800, 5), { maxNewRules: 0 });
    expect(r.rules.filter((x) => x.status === 'new')).toEqual([]);
  });

  it('with few leads, the proposal stays near the current points (the prior)', () => {
    const r = run(syntheticLeads(60, 8), { l2: 1000, maxNewRules: 0 });
    const pricing = r.rules.find((x) => x.id === 'pricing')!;
    const vp = r.rules.find((x) => x.id === 'vp')!;
    expect(pricing.proposedPoints / vp.proposedPoints).toBeCloseTo(1, 0);
  });

  it('sales acceptances count as positives with their weight; 0 ignores them', () => {
    const rows = syntheticLeads(400, 6).map((r, i) => (i % 4 === 0 && r.source === 'won' ? { ...r, source: 'accepted' as const } : r));
    expect(run(rows).rows.used).toBe(400);
    expect(run(rows, { acceptedWeight: 0 }).rows.used).toBeLessThan(400);
  });
});

describe('degenerate data is refused with a clear reason', () => {
  const refused = (rows: ReturnType<typeof syntheticLeads>, options: CalibrateOptionsInput = {}) => {
    try {
      run(rows, options);
    } catch (e) {
      if (e instanceof CalibrationError) return { code: e.code, message: e.message };
      throw e;
    }
    throw new Error('not refused');
  };

  it('too few rows', () => {
    expect(refused(syntheticLeads(39, 1))).toMatchObject({ code: 'too_few_rows', message: expect.stringMatching(/at least 40 labelled leads; this site has 39/) });
  });

  it('every lead won (or every lead lost)', () => {
    expect(refused(syntheticLeads(100, 1).map((r) => ({ ...r, source: 'won' as const })))).toMatchObject({ code: 'single_class', message: expect.stringMatching(/same label/) });
    expect(refused(syntheticLeads(100, 1).map((r) => ({ ...r, source: 'lost' as const })))).toMatchObject({ code: 'single_class' });
  });

  it('only acceptances as positives, and acceptances ignored', () => {
    const rows = syntheticLeads(100, 1).map((r) => (r.source === 'won' ? { ...r, source: 'accepted' as const } : r));
    expect(refused(rows, { acceptedWeight: 0 })).toMatchObject({ code: 'single_class' });
  });

  it('fewer than 10 of a class', () => {
    const rows = syntheticLeads(200, 1).map((r, i) => ({ ...r, source: i < 5 ? ('won' as const) : ('lost' as const) }));
    expect(refused(rows)).toMatchObject({ code: 'too_few_per_class' });
  });

  it('nothing varies across the leads', () => {
    const rows = Array.from({ length: 60 }, (_, i) => makeRow({ id: `same-${i}`, source: i % 2 ? 'won' : 'lost' }));
    expect(refused(rows)).toMatchObject({ code: 'no_signal' });
  });
});
