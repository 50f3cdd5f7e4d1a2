/** Capture in real Chromium against the real Worker: page views (SPA too), query parameters, downloads, forms. */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageViews, recordSentBodies, sentBodies, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  // The parameters these pages keep (data-keep-params) are kept in stored URLs too: the Worker drops the ones a site does not list, utm_* aside.
  h = await startHarness({ site: 'e2e-capture', config: { privacy: { keepQueryParams: ['tab', 'plan', 'q'] } } });
});
afterAll(async () => {
  await h?.close();
});

/**
 * A fresh visitor on `fixture` whose page records every body the SDK hands to fetch or sendBeacon,
 * in sessionStorage so it outlives same-origin navigations (the DevTools request events may miss
 * the body of a keepalive request).
 */
async function recordingPage(fixture: string): Promise<{ page: Page; sent: () => Promise<string[]> }> {
  const context = await h.newContext();
  await recordSentBodies(context);
  const page = await context.newPage();
  await page.goto(`${h.siteUrl}/${fixture}`);
  return { page, sent: () => sentBodies(page) };
}

describe('capture', () => {
  it('counts each SPA route once: pushState, replaceState, popstate and hash routes, not repeats or anchors', async () => {
    const page = await h.newPage('spa.html');
    const aid = await h.anonymousId(page);
    const step = async (fn: () => void) => {
      await page.evaluate(fn);
      await page.waitForTimeout(60);
    };
    await step(() => history.pushState({}, '', '/spa/a'));
    await step(() => history.pushState({}, '', '/spa/a')); // same route again
    await step(() => history.replaceState({}, '', '/spa/a')); // normalisation, same route
    await step(() => history.pushState({}, '', '/spa/a#anchor-target')); // in-page anchor
    await step(() => history.pushState({}, '', '/spa/b?utm_source=news&tab=2'));
    await step(() => history.back()); // popstate back to /spa/a#anchor-target
    await step(() => (location.hash = '#/settings')); // hash router
    await step(() => history.replaceState({}, '', '/spa/c')); // a redirect-style replace is a new route

    const v = await h.waitForVisitor(aid, (x) => x.counts.page_view === 6);
    expect(pageViews(v).map((e) => e.url?.replace(h.siteUrl, ''))).toEqual([
      '/spa.html',
      '/spa/a',
      '/spa/b?utm_source=news', // only utm_* and data-keep-params parameters leave the browser
      '/spa/a#anchor-target',
      '/spa/a#/settings',
      '/spa/c',
    ]);
    await page.waitForTimeout(500);
    expect((await h.visitor(aid))!.counts.page_view).toBe(6);
  });

  it('a change of query string alone is not a page view (UTM clean-up, search as you type); a new path is', async () => {
    const page = await h.newPage('spa.html?utm_source=news&utm_medium=mail');
    const aid = await h.anonymousId(page);
    const step = async (fn: () => void) => {
      await page.evaluate(fn);
      await page.waitForTimeout(60);
    };
    await step(() => history.replaceState({}, '', location.pathname)); // UTM clean-up
    await step(() => history.replaceState({}, '', '/spa.html?q=a'));
    await step(() => history.replaceState({}, '', '/spa.html?q=ab'));
    await step(() => history.pushState({}, '', '/spa/results?q=ab'));
    const v = await h.waitForVisitor(aid, (x) => x.counts.page_view === 2);
    expect(pageViews(v).map((e) => e.url?.replace(h.siteUrl, ''))).toEqual(['/spa.html?utm_source=news&utm_medium=mail', '/spa/results']);
    await page.waitForTimeout(500);
    expect((await h.visitor(aid))!.counts.page_view).toBe(2);
  });

  it('with data-query-page-views each query string is a page view, and data-keep-params keeps the listed parameters', async () => {
    const page = await h.newPage('spa-query.html');
    const aid = await h.anonymousId(page);
    await page.evaluate(() => history.replaceState({}, '', '/spa-query.html?q=a&page=2'));
    await page.waitForTimeout(60);
    await page.evaluate(() => history.replaceState({}, '', '/spa-query.html?q=ab&page=2'));
    const v = await h.waitForVisitor(aid, (x) => x.counts.page_view === 3);
    expect(pageViews(v).map((e) => e.url?.replace(h.siteUrl, ''))).toEqual(['/spa-query.html', '/spa-query.html?q=a', '/spa-query.html?q=ab']);
  });

  it('page URLs and referrers keep only utm_* and the parameters the site lists: tokens and emails from GET forms never leave', async () => {
    const { page, sent } = await recordingPage('keep.html?email=dana%40bigco.com&token=s3cr3t&plan=pro&utm_source=news');
    const aid = await h.anonymousId(page);
    await page.click('#again');
    const v = await h.waitForVisitor(aid, (x) => x.counts.page_view === 2);
    const [first, second] = pageViews(v);
    expect(first!.url).toBe(`${h.siteUrl}/keep.html?plan=pro&utm_source=news`);
    expect(second!.url).toBe(`${h.siteUrl}/keep.html?plan=team&utm_campaign=spring`);
    const bodies = (await sent()).join('\n');
    expect(bodies).toContain(`"referrer":"${h.siteUrl}/keep.html?plan=pro&utm_source=news"`);
    expect(JSON.stringify(v) + bodies).not.toMatch(/dana|s3cr3t|r-123/);
  });

  it('a download click followed by an immediate navigation still arrives, and so does a batched event', async () => {
    const page = await h.newPage('page.html');
    const aid = await h.anonymousId(page);
    await page.evaluate(() => {
      (window as unknown as { leadedge: { track(n: string): void } }).leadedge.track('pricing_calculator');
      document.getElementById('dl')!.click();
      location.href = '/next.html';
    });
    // The attachment click starts a download while the page navigates away at once.
    await expect.poll(() => page.url(), { timeout: 10_000 }).toBe(`${h.siteUrl}/next.html`);
    const v = await h.waitForVisitor(aid, (x) => x.counts.download === 1 && x.timeline.some((e) => e.name === 'pricing_calculator'));
    const download = v.timeline.find((e) => e.type === 'download')!;
    expect(download.props).toMatchObject({ href: `${h.siteUrl}/files/analytics-playbook.pdf` });
    expect(download.topics).toEqual(expect.arrayContaining(['analytics', 'attribution', 'pipeline']));
    expect(download.url).toBe(`${h.siteUrl}/page.html`);
  });

  it('links marked data-le-download count whatever their extension', async () => {
    const page = await h.newPage('page.html');
    const aid = await h.anonymousId(page);
    await page.click('#marked');
    const v = await h.waitForVisitor(aid, (x) => x.counts.download === 1);
    expect(v.timeline.find((e) => e.type === 'download')!.props).toMatchObject({ href: `${h.siteUrl}/files/get?id=7` });
  });

  it('a demo request form becomes identify + demo_request, never reads password, card or hidden fields, and still submits', async () => {
    const { page, sent } = await recordingPage('form.html');
    const aid = await h.anonymousId(page);
    await page.click('#submit');
    await page.waitForURL('**/thanks.html?*');
    expect(new URL(page.url()).searchParams.get('email')).toBe('dana@bigco.com');
    const v = await h.waitForVisitor(aid, (x) => x.counts.demo_request === 1 && x.counts.identify === 1);
    expect(v.traits).toEqual({ email: 'dana@bigco.com', name: 'Dana Scully', company: 'BigCo', title: 'Head of Growth' });
    expect(JSON.stringify(v)).not.toMatch(/hunter2|4111|newsletter|not a trait/);
    expect(v.timeline.find((e) => e.type === 'demo_request')!.props).toEqual({ form: 'demo-form' });
    // The Turnstile widget's hidden field is read on purpose: the token rides on the demo_request
    // event itself, never as a trait or a prop.
    const events = (await sent()).flatMap((b) => (JSON.parse(b) as { events: { type: string; turnstile?: string; traits?: object; props?: object }[] }).events);
    expect(events.find((e) => e.type === 'demo_request')).toMatchObject({ turnstile: 'turnstile-token-0x4AAA', props: { form: 'demo-form' } });
    expect(JSON.stringify(events.map((e) => [e.traits, e.props]))).not.toContain('turnstile-token');
  });

  it('track("demo_request", { turnstile }) sends the token as the event\'s field, not a prop', async () => {
    const { page, sent } = await recordingPage('page.html');
    const aid = await h.anonymousId(page);
    await page.evaluate(() => (window as unknown as { leadedge: { track(n: string, p: object): void } }).leadedge.track('demo_request', { turnstile: 'tok-from-api', plan: 'team' }));
    const v = await h.waitForVisitor(aid, (x) => x.counts.demo_request === 1);
    const events = (await sent()).flatMap((b) => (JSON.parse(b) as { events: { type: string; turnstile?: string; props?: object }[] }).events);
    const demo = events.find((e) => e.type === 'demo_request')!;
    expect(demo.turnstile).toBe('tok-from-api');
    expect(demo.props).toEqual({ plan: 'team' });
    expect(v.timeline.find((e) => e.type === 'demo_request')!.props).toEqual({ plan: 'team' });
  });
});
