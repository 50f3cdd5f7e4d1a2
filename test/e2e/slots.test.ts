/** Personalized CTAs in real Chromium: cached decision on first paint, the fresh one after the beacon, cta_click. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

const ctas = (returningText: string) => ({
  hero: [
    { id: 'hero-returning', when: { did: ['download'] }, text: returningText, href: '/demo?from=hero', variant: 'primary' },
    { id: 'hero-new', text: 'Read the <b>guide</b>', href: 'https://example.com/guide' },
  ],
  sidebar: [{ id: 'side-pricing', text: 'Compare plans' }],
  greeting: [{ id: 'greet', text: '<b>Hi {{firstName|there}}</b>, see {{topTopic|our blog}}' }],
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ site: 'e2e-slots', config: { ctas: ctas('Welcome back: book a demo') } });
});
afterAll(async () => {
  await h?.close();
});

const text = (id: string) => `document.getElementById('${id}').textContent`;

describe('CTA slots', () => {
  it('fill slots with text only and safe links, show the cached decision on first paint, then the new one after the beacon', async () => {
    const context = await h.newContext();
    const page = await context.newPage();
    await page.goto(`${h.siteUrl}/slot.html`);
    // First visit: nothing cached, the page's own content shows until the beacon answers.
    expect(await page.evaluate(() => (window as { __firstPaint?: unknown }).__firstPaint)).toEqual({ hero: 'Default hero', side: 'Default sidebar' });
    await page.waitForFunction(`${text('hero')} === 'Read the <b>guide</b>'`);
    expect(await page.locator('#hero b').count()).toBe(0); // text, not HTML
    expect(await page.getAttribute('#hero', 'href')).toBe('https://example.com/guide');
    expect(await page.getAttribute('#hero', 'data-le-cta-id')).toBe('hero-new');
    expect(await page.textContent('#side')).toBe('Compare plans');
    expect(await page.locator('#side a').count()).toBe(0); // no href: a span, not a link
    expect(await page.textContent('#other')).toBe('Untouched');

    // A download changes the decision; its relative href resolves against the page.
    await page.click('#dl');
    await page.waitForFunction(`${text('hero')} === 'Welcome back: book a demo'`);
    expect(await page.getAttribute('#hero', 'href')).toBe(`${h.siteUrl}/demo?from=hero`);
    expect(await page.getAttribute('#hero', 'data-le-variant')).toBe('primary');

    // The marketer changes the CTA; the next page load shows the cached one at once, then the new one.
    await h.putSite({ ctas: ctas('Your demo is one click away') });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route(`${h.workerUrl}/v1/collect`, async (route) => {
      await held;
      await route.continue();
    });
    await page.reload();
    expect(await page.evaluate(() => (window as { __firstPaint?: unknown }).__firstPaint)).toEqual({
      hero: 'Welcome back: book a demo',
      side: 'Compare plans',
    });
    expect(await page.textContent('#hero')).toBe('Welcome back: book a demo');
    release();
    await page.waitForFunction(`${text('hero')} === 'Your demo is one click away'`);
    await page.unroute(`${h.workerUrl}/v1/collect`);
  });

  it('clicking a filled CTA sends cta_click with its id, even when the click navigates away', async () => {
    const page = await h.newPage('slot.html');
    const aid = await h.anonymousId(page);
    await page.waitForFunction(`document.getElementById('hero').getAttribute('data-le-cta-id') === 'hero-new'`);
    await page.evaluate(() => (document.getElementById('hero') as HTMLAnchorElement).setAttribute('href', '/next.html'));
    await page.click('#hero');
    await page.waitForURL('**/next.html');
    const v = await h.waitForVisitor(aid, (x) => x.counts.cta_click === 1);
    expect(v.timeline.find((e) => e.type === 'cta_click')).toMatchObject({ ctaId: 'hero-new', props: { slot: 'hero' } });
  });

  it('with allowHtml the rule\'s own markup renders, but a visitor named <img onerror=...> cannot run script', async () => {
    const page = await h.newPage('slot-html.html');
    await page.waitForFunction(`document.querySelector('#greet b')?.textContent === 'Hi there'`);
    const evil = '<img src=x onerror="window.__pwned=1">';
    await page.evaluate((name) => {
      const le = (window as unknown as { leadedge: { identify(t: object): void; track(n: string, p?: object): void } }).leadedge;
      le.identify({ firstName: name });
      le.track('download'); // urgent: the answer carries the new decision
    }, evil);
    await page.waitForFunction((name) => document.querySelector('#greet b')?.textContent === `Hi ${name}`, evil);
    expect(await page.locator('#greet img').count()).toBe(0);
    await page.waitForTimeout(200); // an image error handler would have run by now
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    // onDecision listeners still get the raw text; html is the escaped rendering.
    const cta = await page.evaluate(
      () => new Promise((ok) => (window as unknown as { leadedge: { onDecision(cb: (d: { ctas: Record<string, unknown> }) => void): void } }).leadedge.onDecision((d) => ok(d.ctas.greeting))),
    );
    expect(cta).toMatchObject({ text: `<b>Hi ${evil}</b>, see our blog`, html: '<b>Hi &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;</b>, see our blog' });
  });

  it('hide-until-decided never hides the slots longer than 300 ms, even when the Worker does not answer', async () => {
    // The page's clock is paused and moved by hand: the 300 ms are the SDK's own timer, whatever the machine's load.
    const context = await h.newContext();
    await context.clock.install();
    await context.clock.pauseAt(Date.now() + 1000);
    const page = await context.newPage();
    await page.route(`${h.workerUrl}/v1/collect`, () => undefined); // never answers
    await page.goto(`${h.siteUrl}/hide.html`);
    const visibility = () => page.evaluate(() => getComputedStyle(document.getElementById('hero')!).visibility);
    expect(await page.evaluate(() => (window as { __hidden?: string }).__hidden)).toBe('hidden');
    await page.clock.runFor(299);
    expect(await visibility()).toBe('hidden');
    await page.clock.runFor(1);
    expect(await visibility()).toBe('visible');
    expect(await page.textContent('#hero')).toBe('Default hero');
  });
});
