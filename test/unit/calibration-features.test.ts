import { describe, expect, it } from 'vitest';
import { candidateColumns, ruleId } from '../../worker/calibration/candidates';
import { columnValue, designMatrix, existingColumns, rowContext } from '../../worker/calibration/features';
import { importedRow } from '../../worker/calibration/import-rows';
import { outcomeLabel, verdictLabel } from '../../worker/calibration/labels';
import { dropRedundant } from '../../worker/calibration/model-selection';
import { ruleHits, rowScore } from '../../worker/calibration/row-score';
import { trainingRow } from '../../worker/calibration/training-row';
import { applyEvent, emptyAggregates } from '../../worker/scoring/aggregates';
import { eventPath } from '../../worker/scoring/match';
import { computeScore } from '../../worker/scoring/score';
import { newVisitorState } from '../../worker/visitor/apply-batch';
import { planOutbox } from '../../worker/webhooks/plan';
import { journey, makeConfig, makeEvent } from '../helpers/factories';
import { makeRow } from '../helpers/training';

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 0, 1);

function visitorAggregates(events = [journey.identify(), journey.pricing(), journey.download(), makeEvent({ type: 'track', name: 'calculator_used' }), makeEvent({ path: '/careers' })]) {
  const config = makeConfig();
  const agg = emptyAggregates(T0);
  events.forEach((e, i) => applyEvent(agg, e, eventPath(e), config, T0 + i * DAY));
  return { agg, config };
}

describe('training rows', () => {
  it('keep what scoring needs and nothing that names the person', () => {
    const { agg, config } = visitorAggregates([journey.identify({ phone: '+33 6 12 34 56 78', companySize: 250 }), journey.pricing()]);
    const row = trainingRow('ana-1', agg, config, 'won', T0 + 10 * DAY);
    expect(row.traits).toEqual({ email: '@acme.io', company: 'Acme', title: 'VP Marketing', companySize: 250 });
    expect(JSON.stringify(row)).not.toMatch(/Ana|ana@|\+33/);
    expect(row).toMatchObject({ id: 'ana-1', origin: 'live', source: 'won', counts: { identify: 1, page_view: 1 } });
    expect(row.recency.daysSinceLastSeen).toBeCloseTo(9);
  });

  it('score the same through row-score as the visitor scored at the label time, decay included', () => {
    const { agg, config } = visitorAggregates();
    const at = T0 + 40 * DAY;
    const row = trainingRow('v', agg, config, 'lost', at);
    const direct = computeScore(agg, config, at);
    expect(rowScore(row, config)).toMatchObject({ score: direct.total, fit: direct.fit, demo: false, stage: 'known' });
  });

  it('derive a rule added later from the counts when the rule only names a type or custom event', () => {
    const { agg, config } = visitorAggregates();
    const row = trainingRow('v', agg, config, 'lost', T0 + DAY);
    expect(ruleHits({ id: 'calc', when: { type: 'track', name: 'calc*' }, points: 5, cooldownMinutes: 0 }, row)).toBe(1);
    expect(ruleHits({ id: 'dl', when: { type: ['download', 'webinar_signup'] }, points: 5, cooldownMinutes: 0 }, row)).toBe(1);
    // A rule on paths cannot be rebuilt from counts: 0 unless it was recorded.
    expect(ruleHits({ id: 'jobs', when: { type: 'page_view', path: '/jobs' }, points: 5, cooldownMinutes: 0 }, row)).toBe(0);
    expect(ruleHits({ id: 'careers-page', when: { type: 'page_view', path: '/careers' }, points: 5, cooldownMinutes: 0 }, row)).toBeGreaterThan(0);
  });

  it('imported leads become rows with the same shape', () => {
    const row = importedRow({ id: 'crm-9', outcome: 'won', at: '2025-05-01', events: { demo_request: 1 }, topics: { Pricing: 2 }, traits: { email: 'bo@Corp.io', name: 'Bo' } }, T0);
    expect(row).toMatchObject({ origin: 'import', source: 'won', at: Date.parse('2025-05-01'), counts: { demo_request: 1 }, topics: { pricing: 2 }, traits: { email: '@corp.io' } });
    expect(rowScore(row, makeConfig()).stage).toBe('sql');
  });
});

describe('labels', () => {
  const state = () => ({ ...newVisitorState('demo', 'v-1', T0), stage: 'mql' as const, aggregates: visitorAggregates().agg });

  it('won/lost outcomes label known visitors only', () => {
    expect(outcomeLabel(state(), { outcome: 'won' }, makeConfig(), T0)).toMatchObject({ ok: true, update: { kind: 'label', row: { source: 'won', id: 'v-1' } } });
    expect(outcomeLabel({ ...state(), stage: 'anonymous' }, { outcome: 'won' }, makeConfig(), T0)).toMatchObject({ ok: false });
  });

  it('accepted → weak positive, disqualify → negative, recycle → unlabel', () => {
    const c = makeConfig();
    expect(verdictLabel(state(), { verdict: 'accepted' }, c, T0)).toMatchObject({ kind: 'label', row: { source: 'accepted' } });
    expect(verdictLabel(state(), { verdict: 'rejected', reason: 'x', action: 'disqualify' }, c, T0)).toMatchObject({ kind: 'label', row: { source: 'disqualified' } });
    expect(verdictLabel(state(), { verdict: 'rejected', reason: 'x', action: 'recycle' }, c, T0)).toEqual({ kind: 'unlabel', id: 'v-1', at: T0 });
  });

  it('a label rides the site notice, in the same outbox plan as the rest', () => {
    const base = { at: T0, site: 'demo', anonymousId: 'v-1', adminUrl: 'x', traits: {}, score: { total: 0, behavior: 0, fit: 0, breakdown: [] }, topics: [], timeline: [] };
    const input = { base, isNewVisitor: false, demoRequests: [], transitions: [], stage: 'mql' as const, lead: null, refreshIndex: false };
    expect(planOutbox(input, makeConfig({ webhooks: [] }), () => 'id')).toEqual([]);
    const training = { kind: 'unlabel' as const, id: 'v-1', at: T0 };
    const rows = planOutbox({ ...input, training }, makeConfig({ webhooks: [] }), () => 'id');
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.payload)).toEqual({ stages: [], at: T0, lead: null, training });
  });
});

describe('candidate rules', () => {
  const rows = Array.from({ length: 40 }, (_, i) =>
    makeRow({
      counts: { page_view: 3, identify: 1, download: i % 2, ...(i % 3 === 0 ? { pricing_calculator: 2 } : {}) },
      topics: i % 4 === 0 ? { attribution: 1.5 } : { analytics: 1 },
      traits: {
        title: i % 2 ? 'Head of Growth' : 'Data Engineer',
        companySize: i % 5 === 0 ? '1,000+' : 20,
        industry: i % 2 ? 'Retail' : 'software',
        custom: { occupation: i % 4 === 0 ? 'Student' : 'engineer', trial: i % 2 === 0, seats: i },
      },
    }),
  );
  const config = makeConfig({ scoring: { ...makeConfig().scoring, behavior: [...makeConfig().scoring.behavior, { id: 'analytics', when: { topic: 'analytics' }, points: 2, cooldownMinutes: 0 }] } });
  const keys = candidateColumns(rows, config, { minSupport: 5, maxCandidates: 100 }).map((c) => c.key);

  it('proposes what no rule covers: custom events, topics, trait values, title words, numeric buckets', () => {
    expect(keys).toEqual(expect.arrayContaining([
      'event:pricing_calculator',
      'topic:attribution',
      'trait:industry=retail',
      'trait:custom.occupation=student',
      'trait:custom.trial=true',
      'title~engineer',
      'trait:companySize>=1000',
      'trait:custom.seats>=19', // its median
    ]));
  });

  it('skips what rules already cover, what every lead has, and what is too rare', () => {
    expect(keys).not.toContain('event:download'); // ebook-download
    expect(keys).not.toContain('event:page_view'); // page-view
    expect(keys).not.toContain('event:identify');
    expect(keys).not.toContain('topic:analytics');
    expect(keys).not.toContain('trait:industry=software'); // target-industry
    expect(keys).not.toContain('title~head'); // senior-title
    expect(keys).not.toContain('trait:companySize>=50'); // company-size
    expect(keys).not.toContain('trait:companySize>=10'); // every lead
    expect(candidateColumns(rows.slice(0, 8), config, { minSupport: 5, maxCandidates: 100 })).toEqual([]);
  });

  it('a candidate column counts exactly what its rule would', () => {
    for (const col of candidateColumns(rows, config, { minSupport: 5, maxCandidates: 100 })) {
      if (col.kind !== 'fit' || col.word === undefined) continue;
      const { word: _w, ...asRule } = col;
      for (const row of rows) expect(columnValue(col, rowContext(row))).toBe(columnValue({ ...asRule }, rowContext(row)));
    }
  });

  it('drops a candidate that repeats a kept column or is its exact opposite', () => {
    const cols = candidateColumns(rows, config, { minSupport: 5, maxCandidates: 100 });
    const all = [...existingColumns(config), ...cols];
    const x = designMatrix(rows, all);
    const kept = dropRedundant(x, all, all.map((_, j) => j)).map((j) => all[j]!.key);
    // "industry is retail" is exactly "title has head" here, and "trial is true" its opposite.
    expect(kept).toContain('fit:senior-title');
    expect(kept).not.toContain('trait:industry=retail');
    expect(kept.filter((k) => k.startsWith('trait:custom.trial'))).toEqual([]);
  });

  it('never proposes a rule the config schema would refuse', () => {
    const odd = Array.from({ length: 40 }, (_, i) => makeRow({ traits: { custom: { 'job title': i % 2 ? 'x' : 'y', ok: i % 2 ? 'x' : 'y' }, industry: i % 2 ? 'a'.repeat(150) : 'b' } }));
    const cols = candidateColumns(odd, makeConfig(), { minSupport: 5, maxCandidates: 100 }).map((c) => c.key);
    expect(cols).toContain('trait:custom.ok=x');
    expect(cols.some((k) => k.startsWith('trait:custom.job title'))).toBe(false);
  });

  it('rule ids are valid and readable', () => {
    expect(ruleId('occupation-Software Engineer!')).toBe('learned-occupation-software-engineer');
    expect(ruleId('x'.repeat(100))).toHaveLength(64);
  });
});
