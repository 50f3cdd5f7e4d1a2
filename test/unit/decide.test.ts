import { describe, expect, it } from 'vitest';
import { decide } from '../../worker/decisions/decide';
import { renderTemplate } from '../../worker/decisions/template';
import { applyEvent, emptyAggregates } from '../../worker/scoring/aggregates';
import type { Stage } from '../../worker/schema/config';
import { journey, makeConfig, makeEvent } from '../helpers/factories';

const NOW = Date.UTC(2026, 5, 1);

function visitor(stage: Stage, events = [] as ReturnType<typeof makeEvent>[], score = 0) {
  const config = makeConfig();
  const aggregates = emptyAggregates(NOW);
  for (const e of events) applyEvent(aggregates, e, '/', config, NOW);
  return { input: { anonymousId: 'a-1', stage, score, aggregates }, config };
}

describe('CTA decisions', () => {
  it('anonymous reader of an analytics post is offered the ebook on that topic', () => {
    const { input, config } = visitor('anonymous', [makeEvent({ topics: ['analytics'] })]);
    expect(decide(input, config, NOW).ctas.hero).toEqual({ id: 'ebook-analytics', text: 'Get the free ebook: the analytics playbook', href: '/ebook' });
  });

  it('after the ebook download the next step is the webinar on the same topic', () => {
    const { input, config } = visitor('known', [journey.identify(), journey.download()]);
    expect(decide(input, config, NOW).ctas.hero?.id).toBe('webinar-analytics');
  });

  it('an SQL is told their demo is booked, by first name', () => {
    const { input, config } = visitor('sql', [journey.identify({ name: 'Ana Lima' }), journey.demo()]);
    expect(decide(input, config, NOW).ctas.hero).toMatchObject({ id: 'demo-booked', text: 'Your demo is booked, Ana: meet your rep' });
  });

  it('a visitor with no interests gets the fallback rule', () => {
    const { input, config } = visitor('anonymous');
    expect(decide(input, config, NOW).ctas).toMatchObject({ hero: { id: 'read-blog' }, sidebar: { id: 'ebook-sidebar' } });
  });

  it('shows the score only when the site opts in', () => {
    const { input } = visitor('known', [], 42);
    expect(decide(input, makeConfig({ exposeScore: true }), NOW).visitor).toEqual({ id: 'a-1', stage: 'known', score: 42 });
    expect(decide(input, makeConfig({ exposeScore: false }), NOW).visitor).toEqual({ id: 'a-1', stage: 'known' });
  });

  it('score bounds select rules', () => {
    const config = makeConfig({ ctas: { hero: [{ id: 'hot', when: { minScore: 50 }, text: 'Hot' }, { id: 'cold', text: 'Cold' }] } });
    const { input } = visitor('known');
    expect(decide({ ...input, score: 60 }, config, NOW).ctas.hero?.id).toBe('hot');
    expect(decide({ ...input, score: 10 }, config, NOW).ctas.hero?.id).toBe('cold');
  });
});

describe('templates', () => {
  it('fills variables and falls back when one is missing', () => {
    expect(renderTemplate('Hi {{firstName|there}}, about {{topTopic}}', { firstName: undefined, topTopic: 'sql' })).toBe('Hi there, about sql');
  });

  it('encodes values placed in links', () => {
    expect(renderTemplate('/w?t={{topTopic}}', { topTopic: 'a&b c' }, encodeURIComponent)).toBe('/w?t=a%26b%20c');
  });
});
