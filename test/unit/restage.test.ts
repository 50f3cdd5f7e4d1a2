import { describe, expect, it } from 'vitest';
import { changesStaging, previewRestage } from '../../worker/restage/preview';
import { applyBatch, newVisitorState } from '../../worker/visitor/apply-batch';
import { restageTransition } from '../../worker/visitor/restage';
import { journey, makeConfig } from '../helpers/factories';

const NOW = Date.UTC(2026, 5, 1, 12);

describe('re-staging after a config change', () => {
  const strict = makeConfig({ stages: { mql: { score: 500, fit: 0 }, sql: { score: 900, fit: 0 } } });
  const lenient = makeConfig({ stages: { mql: { score: 20, fit: 0 }, sql: { score: 900, fit: 0 } } });
  const known = applyBatch(newVisitorState('demo', 'a-1', NOW), [journey.identify(), journey.download()], NOW, strict, NOW).state;

  it('a lead that now passes a lower threshold moves forward, once', () => {
    expect(known.stage).toBe('known');
    expect(restageTransition(known, strict, NOW)).toBeNull();
    const t = restageTransition(known, lenient, NOW);
    expect(t).toMatchObject({ from: 'known', to: 'mql', trigger: { type: 'restage' } });
    expect(restageTransition({ ...known, stage: 'mql' }, lenient, NOW)).toBeNull();
  });

  it('never moves a lead back, never touches a verdict, never makes a recycled lead SQL by score', () => {
    expect(restageTransition({ ...known, stage: 'sql' }, strict, NOW)).toBeNull();
    expect(restageTransition({ ...known, stage: 'sal' }, lenient, NOW)).toBeNull();
    expect(restageTransition({ ...known, stage: 'disqualified' }, lenient, NOW)).toBeNull();
    const veryLenient = makeConfig({ stages: { mql: { score: 1, fit: 0 }, sql: { score: 2, fit: 0 } } });
    expect(restageTransition({ ...known, stage: 'mql', recycledAt: NOW - 1 }, veryLenient, NOW)).toBeNull();
  });

  it('the preview counts the index rows each threshold moves, and only threshold or scoring changes start a pass', () => {
    const rows = [
      { stage: 'known' as const, score: 60, fit: 10, verdict: null },
      { stage: 'known' as const, score: 10, fit: 10, verdict: null },
      { stage: 'mql' as const, score: 950, fit: 10, verdict: null },
      { stage: 'mql' as const, score: 950, fit: 10, verdict: { verdict: 'rejected', action: 'recycle', at: NOW } },
    ];
    const config = makeConfig({ stages: { mql: { score: 50, fit: 0 }, sql: { score: 900, fit: 0 } } });
    expect(previewRestage(rows, config)).toEqual({ leads: 2, moves: [{ from: 'known', to: 'mql', leads: 1 }, { from: 'mql', to: 'sql', leads: 1 }].sort((a, b) => b.leads - a.leads) });
    expect(changesStaging(strict, lenient)).toBe(true);
    expect(changesStaging(strict, makeConfig({ ...strict, exposeScore: !strict.exposeScore } as never))).toBe(false);
  });
});
