import { describe, expect, it } from 'vitest';
import { applyBatch, correctedTime, newVisitorState } from '../../worker/visitor/apply-batch';
import { LIMITS } from '../../worker/schema/limits';
import { journey, makeConfig, makeEvent } from '../helpers/factories';

const NOW = Date.UTC(2026, 5, 1, 12);

describe('applying a batch', () => {
  const config = makeConfig();

  it('the demo journey goes anonymous -> known -> mql -> sql, each transition with its trigger', () => {
    let state = newVisitorState('demo', 'a-1', NOW);
    const stages: string[] = [];
    for (const batch of [[journey.identify(), journey.download()], [journey.webinar()], [journey.demo()]]) {
      const out = applyBatch(state, batch, NOW, config, NOW);
      stages.push(...out.transitions.map((t) => `${t.from}->${t.to}:${t.trigger.type}`));
      state = out.state;
    }
    expect(stages).toEqual(['anonymous->known:identify', 'known->mql:webinar_signup', 'mql->sql:demo_request']);
  });

  it('does not change the state it was given', () => {
    const state = newVisitorState('demo', 'a-1', NOW);
    const before = structuredClone(state);
    applyBatch(state, [journey.identify()], NOW, config, NOW);
    expect(state).toEqual(before);
  });

  it('leaves a visitor with history untouched: counts, rules, topics, traits and stage', () => {
    // Folding changes the aggregates' maps in place on its copy: the copy must not share them with the state it was given.
    let state = newVisitorState('demo', 'a-1', NOW);
    state = applyBatch(state, [journey.identify(), journey.download(), { ...journey.pricing(), topics: ['pricing'] }], NOW, config, NOW).state;
    const before = structuredClone(state);
    const next = applyBatch(state, [journey.identify({ title: 'VP Marketing' }), journey.download(), { ...journey.pricing(), topics: ['pricing', 'analytics'] }, journey.webinar(), journey.demo()], NOW + 60_000, config, NOW + 60_000).state;
    expect(state).toEqual(before);
    expect(next.aggregates.eventCount).toBe(before.aggregates.eventCount + 5);
    expect(next.stage).not.toBe(before.stage);
  });

  it('an identify inside a batch counts its fit for the events after it', () => {
    // Fit points are remembered per traits object: a later identify must be scored on its new traits.
    const cfg = makeConfig({ stages: { mql: { score: 20, fit: 10 }, sql: { score: 1000, fit: 0 } } } as never);
    const events = [journey.identify({ title: 'Intern' }), journey.download(), journey.identify({ title: 'VP Marketing' }), journey.pricing()];
    const out = applyBatch(newVisitorState('demo', 'a-1', NOW), events.map((e, k) => ({ ...e, ts: NOW - 4000 + k * 1000 })), NOW, cfg, NOW);
    expect(out.transitions.map((t) => `${t.to}:${t.trigger.id}`)).toEqual([`known:${events[0]!.id}`, `mql:${events[2]!.id}`]);
    expect(out.transitions.map((t) => t.fit)).toEqual([0, 15]);
  });

  it('applies events oldest first whatever order they arrive in', () => {
    const identify = { ...journey.identify(), ts: NOW - 5000 };
    const demo = { ...journey.demo(), ts: NOW - 1000 };
    const out = applyBatch(newVisitorState('demo', 'a-1', NOW), [demo, identify], NOW, config, NOW);
    expect(out.timeline.map((e) => e.type)).toEqual(['identify', 'demo_request']);
    expect(out.transitions.map((t) => t.to)).toEqual(['known', 'sql']);
  });

  it('reports each demo request, even from a visitor already SQL', () => {
    const first = applyBatch(newVisitorState('demo', 'a-1', NOW), [journey.identify(), journey.demo()], NOW, config, NOW);
    const again = applyBatch(first.state, [journey.demo()], NOW, config, NOW);
    expect(again.demoRequests).toHaveLength(1);
    expect(again.transitions).toHaveLength(0);
  });

  it('keeps no trait values in the timeline, only which traits were given', () => {
    const out = applyBatch(newVisitorState('demo', 'a-1', NOW), [journey.identify()], NOW, config, NOW);
    expect(JSON.stringify(out.timeline)).not.toContain('ana@acme.io');
    expect(out.timeline[0]?.traitKeys).toContain('email');
  });
});

describe('client clocks', () => {
  it('stores URLs with only the utm_* query parameters and those the site lists', () => {
    const cfg = makeConfig({ privacy: { keepQueryParams: ['plan'] } });
    const url = 'https://acme.io/signup?email=ana%40acme.io&token=s3cr3t&utm_source=news&plan=pro&UTM_Medium=mail&utm%5Fterm=x#step-2';
    const out = applyBatch(newVisitorState('demo', 'a-1', NOW), [makeEvent({ url }), makeEvent({ url: 'https://acme.io/a?token=1' }), makeEvent({ url: 'https://acme.io/#/reset?token=2&utm_id=3' })], NOW, cfg, NOW);
    expect(out.timeline.map((e) => e.url)).toEqual([
      'https://acme.io/signup?utm_source=news&plan=pro&UTM_Medium=mail&utm%5Fterm=x#step-2',
      'https://acme.io/a',
      'https://acme.io/#/reset?utm_id=3',
    ]);
    expect(JSON.stringify(out)).not.toMatch(/s3cr3t|ana%40acme|token/);
    // By default only utm_* stay.
    const plain = applyBatch(newVisitorState('demo', 'a-1', NOW), [makeEvent({ url })], NOW, makeConfig(), NOW);
    expect(plain.timeline[0]!.url).toBe('https://acme.io/signup?utm_source=news&UTM_Medium=mail&utm%5Fterm=x#step-2');
  });

  it('corrects skew with sentAt', () => {
    // Client clock 1 hour behind: event 2 s before sending.
    expect(correctedTime(NOW - 3600_000 - 2000, NOW - 3600_000, NOW)).toBe(NOW - 2000);
  });

  it('clamps the future to the receive time and the far past to the window', () => {
    expect(correctedTime(NOW + 999_999, NOW, NOW)).toBe(NOW);
    expect(correctedTime(0, NOW, NOW)).toBe(NOW - LIMITS.maxEventAgeMs);
  });

  it('bounds aggregates however many distinct custom events and topics arrive', () => {
    const config = makeConfig();
    let state = newVisitorState('demo', 'a-1', NOW);
    const events = Array.from({ length: 500 }, (_, i) => makeEvent({ type: 'track', name: `custom_${i}`, topics: [`topic-${i}`] } as never));
    for (let i = 0; i < events.length; i += 50) state = applyBatch(state, events.slice(i, i + 50), NOW, config, NOW).state;
    expect(Object.keys(state.aggregates.topics).length).toBeLessThanOrEqual(LIMITS.maxTrackedTopics);
    expect(Object.keys(state.aggregates.counts).length).toBeLessThanOrEqual(LIMITS.maxTrackedEventNames + 7);
    expect(state.aggregates.eventCount).toBe(500);
  });
});
