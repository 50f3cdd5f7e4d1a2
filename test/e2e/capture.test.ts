/** Capture in real Chromium against the real Worker: page views (SPA too), downloads, forms. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageViews, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  // `tab` is kept in stored URLs (the Worker drops query parameters a site does not list, utm_* aside).
  h = await startHarness({ site: 'e2e-capture', config: { privacy: { keepQueryParams: ['tab'] } } });
});
afterAll(async () => {
  await h?.close();
});

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
    await step(() => history.pushState({}, '', '/spa/b?tab=2'));
    await step(() => history.back()); // popstate back to /spa/a#anchor-target
    await step(() => (location.hash = '#/settings')); // hash router
    await step(() => history.replaceState({}, '', '/spa/c')); // a redirect-style replace is a new route

    const v = await h.waitForVisitor(aid, (x) => x.counts.page_view === 6);
    expect(pageViews(v).map((e) => e.url?.replace(h.siteUrl, ''))).toEqual([
      '/spa.html',
      '/spa/a',
      '/spa/b?tab=2',
      '/spa/a#anchor-target',
      '/spa/a#/settings',
      '/spa/c',
    ]);
    await page.waitForTimeout(500);
    expect((await h.visitor(aid))!.counts.page_view).toBe(6);
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
    const page = await h.newPage('form.html');
    const aid = await h.anonymousId(page);
    await page.click('#submit');
    await page.waitForURL('**/thanks.html?*');
    expect(new URL(page.url()).searchParams.get('email')).toBe('dana@bigco.com');
    const v = await h.waitForVisitor(aid, (x) => x.counts.demo_request === 1 && x.counts.identify === 1);
    expect(v.traits).toEqual({ email: 'dana@bigco.com', name: 'Dana Scully', company: 'BigCo', title: 'Head of Growth' });
    expect(JSON.stringify(v)).not.toMatch(/hunter2|4111|newsletter|not a trait/);
    expect(v.timeline.find((e) => e.type === 'demo_request')!.props).toEqual({ form: 'demo-form' });
  });
});
