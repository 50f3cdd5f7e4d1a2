/** CTA html: visitor values in a CTA are escaped for pages that allow HTML in CTAs; `text` stays raw. */
import { describe, expect, it } from 'vitest';
import { decide } from '../../worker/decisions/decide';
import { escapeHtml } from '../../worker/decisions/template';
import { applyEvent, emptyAggregates } from '../../worker/scoring/aggregates';
import { journey, makeConfig, makeEvent } from '../helpers/factories';

const NOW = Date.UTC(2026, 5, 1);
const EVIL = `<img src=x onerror="alert('x')"> & co`;

function decideFor(text: string, events: ReturnType<typeof makeEvent>[]) {
  const config = makeConfig({ ctas: { hero: [{ id: 'hi', text }] } });
  const aggregates = emptyAggregates(NOW);
  for (const e of events) applyEvent(aggregates, e, '/', config, NOW);
  return decide({ anonymousId: 'a-1', stage: 'known', score: 0, aggregates }, config, NOW).ctas.hero!;
}

describe('CTA html', () => {
  it('a visitor named with markup gets it escaped in html, raw in text; the rule\'s own markup stays', () => {
    const cta = decideFor('<b>Hi {{firstName|there}}</b> from {{company}}', [journey.identify({ firstName: EVIL, company: 'A&B "Co"' })]);
    expect(cta.text).toBe(`<b>Hi ${EVIL}</b> from A&B "Co"`);
    expect(cta.html).toBe('<b>Hi &lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt; &amp; co</b> from A&amp;B &quot;Co&quot;');
  });

  it('topics are visitor input too: escaped', () => {
    const cta = decideFor('More on {{topTopic}}', [makeEvent({ topics: ['<script>x</script>'] })]);
    expect(cta.html).toBe('More on &lt;script&gt;x&lt;/script&gt;');
  });

  it('no html field when escaping changes nothing (html ?? text is then the same string)', () => {
    expect(decideFor('<i>Hi {{firstName|there}}</i>', [])).toEqual({ id: 'hi', text: '<i>Hi there</i>' }); // a fallback is the rule's own
    expect(decideFor('<i>Hi {{firstName}}</i>', [journey.identify({ firstName: 'Ana' })])).toEqual({ id: 'hi', text: '<i>Hi Ana</i>' });
    expect(decideFor('Read the blog', [journey.identify()])).toEqual({ id: 'hi', text: 'Read the blog' });
  });

  it('escapes the five HTML-significant characters and nothing else', () => {
    expect(escapeHtml(`&<>"' é{}`)).toBe('&amp;&lt;&gt;&quot;&#39; é{}');
  });
});
