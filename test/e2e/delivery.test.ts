/** Delivery and privacy in real Chromium against the real Worker: offline queue, retries, stub replay, GPC, consent, erasure, the npm build. */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

type Api = { track(n: string, p?: object): void; consent(s: string): void; anonymousId(): string };
const le = (page: Page) => ({
  track: (name: string, props?: object) => page.evaluate(([n, p]) => (window as unknown as { leadedge: Api }).leadedge.track(n as string, p as object), [name, props] as const),
  consent: (state: string) => page.evaluate((s) => (window as unknown as { leadedge: Api }).leadedge.consent(s), state),
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ site: 'e2e-delivery' });
});
afterAll(async () => {
  await h?.close();
});

/** Beacons the page sent to the Worker, as seen by the browser. */
function collectRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(`${h.workerUrl}/v1/`)) seen.push(r.url());
  });
  return seen;
}

/** The site's queue as stored in IndexedDB: each event's failed-send count (0 when none). */
const stored = (page: Page, site: string) =>
  page.evaluate(
    (key) =>
      new Promise<number[]>((ok) => {
        const open = indexedDB.open('leadedge');
        open.onsuccess = () => {
          const get = open.result.transaction('queue', 'readonly').objectStore('queue').get(key);
          get.onsuccess = () => ok(((get.result as { n?: number }[] | undefined) ?? []).map((i) => i.n ?? 0));
        };
      }),
    site,
  );
const queued = async (page: Page, site: string) => (await stored(page, site)).length;
/**
 * Kills the tab's renderer, as a crash or a killed tab would: no page hide, so no beacon can carry
 * the queue away (an unload beacon may get through even under offline emulation); what is queued
 * stays in IndexedDB for the next page load. Then the context goes back online.
 */
async function killTab(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const crashed = page.waitForEvent('crash');
  void cdp.send('Page.crash').catch(() => undefined); // never answered: the renderer is gone
  await crashed;
  await page.close();
  await page.context().setOffline(false);
}
/** What the SDK keeps in cookies and Web Storage. */
const keptIds = async (page: Page) => ({
  cookie: (await page.context().cookies()).filter((c) => c.name === 'le_aid').map((c) => c.value),
  storage: await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('le_') && k !== 'le_consent').sort()),
});


/** A visitor whose first page view has arrived, now offline: what its page captures next waits in its queue. */
async function offlineVisitor() {
  const context = await h.newContext();
  const page = await context.newPage();
  await page.goto(`${h.siteUrl}/page.html`);
  const aid = await h.anonymousId(page);
  await h.waitForVisitor(aid, (v) => v.counts.page_view === 1);
  await context.setOffline(true);
  return { context, page, aid };
}
describe('delivery', () => {
  it('events captured while the endpoint is unreachable arrive after the tab is closed and the site is opened again', async () => {
    const context = await h.newContext();
    const first = await context.newPage();
    await first.goto(`${h.siteUrl}/page.html`);
    const aid = await h.anonymousId(first);
    await h.waitForVisitor(aid, (v) => v.counts.page_view === 1);

    await context.setOffline(true);
    await first.evaluate(() => {
      const le = (window as unknown as { leadedge: Api }).leadedge;
      le.track('offline_one', { n: 1 });
      le.track('offline_two', { n: 2 });
      le.track('demo_request'); // urgent: tried at once, fails, stays queued
    });
    await expect.poll(() => queued(first, h.site), { timeout: 5000 }).toBe(3);
    // With runBeforeUnload, close() returns before the page is gone; a context change meanwhile
    // can reach the closing page and fail, so wait for it to be closed.
    await Promise.all([first.waitForEvent('close'), first.close({ runBeforeUnload: true })]);
    // Usually nothing got through. Chromium may still deliver the closing page's unload beacon
    // despite offline emulation (seen once in CI): then the reopened page re-sends it and the
    // server's dedupe must keep every count exact, which the assertions below check either way.
    expect([1, 4]).toContain((await h.visitor(aid))!.eventCount);

    await context.setOffline(false);
    const second = await context.newPage();
    await second.goto(`${h.siteUrl}/next.html`); // no SDK: nothing is re-sent yet
    await second.goto(`${h.siteUrl}/page.html`);
    expect(await h.anonymousId(second)).toBe(aid);
    const v = await h.waitForVisitor(aid, (x) => x.counts.page_view === 2 && x.counts.demo_request === 1 && x.counts.offline_two === 1);
    expect(v.counts).toMatchObject({ offline_one: 1, offline_two: 1 });
    expect(v.eventCount).toBe(5);
    await expect.poll(() => queued(second, h.site), { timeout: 5000 }).toBe(0);
  });

  it('calls queued by the snippet stub before the script loads are replayed in order', async () => {
    const page = await h.newPage('stub.html');
    const aid = await h.anonymousId(page);
    const v = await h.waitForVisitor(aid, (x) => x.counts.stub_second === 1 && x.counts.identify === 1);
    const order = [...v.timeline].reverse().map((e) => e.name ?? e.type);
    expect(order).toEqual(['page_view', 'identify', 'stub_first', 'stub_second']);
    expect(v.traits).toMatchObject({ email: 'stub@acme.io', company: 'Acme' });
    await page.waitForFunction(() => (window as { __decisions?: unknown[] }).__decisions?.length);
  });

  it('Global Privacy Control blocks sending and storing', async () => {
    const context = await h.newContext();
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    const page = await context.newPage();
    const beacons = collectRequests(page);
    await page.goto(`${h.siteUrl}/page.html`);
    expect(await h.anonymousId(page)).toBe('');
    await page.evaluate(() => {
      const le = (window as unknown as { leadedge: Api }).leadedge;
      le.track('should_not_leave');
      document.getElementById('marked')!.click();
    });
    await page.waitForTimeout(2500); // past the batch wait
    await page.goto(`${h.siteUrl}/next.html`); // page hide: no beacon either
    expect(beacons).toEqual([]);
    expect((await context.cookies()).map((c) => c.name)).not.toContain('le_aid');
    expect(await page.evaluate(() => indexedDB.databases())).toEqual([]); // not even an empty queue
  });

  it('GPC turned on after earlier visits deletes the stored id, session, cached decision and queued events', async () => {
    const context = await h.newContext();
    const page = await context.newPage();
    await page.goto(`${h.siteUrl}/page.html`);
    const aid = await h.anonymousId(page);
    await h.waitForVisitor(aid, (v) => v.counts.page_view === 1);
    await expect.poll(() => keptIds(page)).toEqual({ cookie: [aid], storage: [`le_aid`, `le_decision_${h.site}`, 'le_sid'] });
    await context.setOffline(true);
    await le(page).track('queued_before_gpc');
    await expect.poll(() => queued(page, h.site)).toBe(1);
    await killTab(page);

    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    const again = await context.newPage();
    await again.goto(`${h.siteUrl}/page.html`);
    expect(await h.anonymousId(again)).toBe('');
    await expect.poll(() => queued(again, h.site)).toBe(0);
    expect(await keptIds(again)).toEqual({ cookie: [], storage: [] });
    await again.waitForTimeout(2500);
    expect((await h.visitor(aid))!.counts).toEqual({ page_view: 1 });
  });

  it('with data-respect-gpc="false" the SDK sends, and the Worker honours Sec-GPC: nothing stored', async () => {
    const page = await (await h.newContext({ extraHTTPHeaders: { 'Sec-GPC': '1' } })).newPage();
    const answer = page.waitForResponse((r) => r.url() === `${h.workerUrl}/v1/collect`);
    await page.goto(`${h.siteUrl}/gpc-off.html`);
    const res = await answer;
    expect(res.status()).toBe(200);
    expect(await res.json()).toMatchObject({ tracked: false, accepted: 0 });
    expect(await h.visitor(await h.anonymousId(page))).toBeNull();
  });

  it('consent mode stores and sends nothing until consent("granted"), then sends what was held', async () => {
    const context = await h.newContext();
    const page = await context.newPage();
    const beacons = collectRequests(page);
    await page.goto(`${h.siteUrl}/consent.html`);
    const aid = await h.anonymousId(page);
    await page.evaluate(() => (window as unknown as { leadedge: Api }).leadedge.track('before_consent'));
    await page.waitForTimeout(2500);
    expect(beacons).toEqual([]);
    expect((await context.cookies()).map((c) => c.name)).not.toContain('le_aid');
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);

    await page.evaluate(() => (window as unknown as { leadedge: Api }).leadedge.consent('granted'));
    const v = await h.waitForVisitor(aid, (x) => x.counts.page_view === 1 && x.counts.before_consent === 1);
    expect(v.eventCount).toBe(2);
    expect((await context.cookies()).find((c) => c.name === 'le_aid')?.value).toBe(aid);
    expect(await page.evaluate(() => localStorage.getItem('le_aid'))).toBe(aid);
  });

  it('429 with Retry-After is retried after the delay; another 4xx is dropped, not retried', async () => {
    const page = await (await h.newContext()).newPage();
    const tries: number[] = [];
    await page.route(`${h.workerUrl}/v1/collect`, async (route) => {
      const body = route.request().postData() ?? '';
      if (body.includes('refused_event')) return route.fulfill({ status: 400, contentType: 'application/json', body: '{"error":{"code":"invalid_batch","message":"no"}}' });
      if (body.includes('limited_event') && tries.push(Date.now()) === 1) {
        // What the Worker's rate limit answers (it exposes Retry-After to the page through CORS).
        return route.fulfill({ status: 429, headers: { 'retry-after': '3', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after' }, body: '{}' });
      }
      return route.continue();
    });
    await page.goto(`${h.siteUrl}/page.html`);
    const aid = await h.anonymousId(page);
    await h.waitForVisitor(aid, (v) => v.counts.page_view === 1);
    await page.evaluate(() => {
      const le = (window as unknown as { leadedge: Api }).leadedge;
      le.track('refused_event');
      le.track('demo_request'); // urgent: sends the batch now
    });
    await expect.poll(() => queued(page, h.site)).toBe(0); // refused: dropped, not kept for a retry
    await page.evaluate(() => (window as unknown as { leadedge: Api }).leadedge.track('demo_request', { limited_event: true }));
    const v = await h.waitForVisitor(aid, (x) => x.counts.demo_request === 1);
    expect(tries.length).toBe(2);
    expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(2900); // not the 1 s first backoff, nor the 2 s batch timer
    expect(v.counts.refused_event).toBeUndefined();
  });

  it('consent("denied") deletes the queued events from IndexedDB too, with the stored ids', async () => {
    const { context, page, aid } = await offlineVisitor();
    await le(page).track('held_one');
    await le(page).track('held_two');
    await expect.poll(() => queued(page, h.site)).toBe(2);
    await le(page).consent('denied');
    await expect.poll(() => queued(page, h.site)).toBe(0);
    expect(await keptIds(page)).toEqual({ cookie: [], storage: [] });
    await context.setOffline(false);
    await page.reload(); // the denial is remembered: nothing captured, nothing re-sent
    await page.waitForTimeout(2500);
    expect((await h.visitor(aid))!.counts).toEqual({ page_view: 1 });
  });

  it('a denial as the page loads (before the SDK has read its queue) keeps earlier queued events from coming back after a later grant', async () => {
    const { context, page, aid } = await offlineVisitor();
    await le(page).track('held_before_denial');
    await expect.poll(() => queued(page, h.site)).toBe(1);
    await killTab(page);
    const again = await context.newPage();
    await again.goto(`${h.siteUrl}/deny-at-load.html`);
    await expect.poll(() => queued(again, h.site)).toBe(0);
    await le(again).consent('granted');
    await le(again).track('demo_request');
    expect(await h.anonymousId(again)).toBe(aid);
    await h.waitForVisitor(aid, (x) => x.counts.demo_request === 1);
    await again.waitForTimeout(500);
    expect((await h.visitor(aid))!.counts.held_before_denial).toBeUndefined();
  });

  it('an event stored twice (consent granted twice) is still delivered: never twice in one batch', async () => {
    const { context, page, aid } = await offlineVisitor();
    await le(page).track('granted_twice');
    await le(page).consent('granted');
    await le(page).consent('granted');
    await page.waitForTimeout(300);
    expect(await queued(page, h.site)).toBe(1);
    await killTab(page);
    const again = await context.newPage();
    await again.goto(`${h.siteUrl}/page.html`);
    const v = await h.waitForVisitor(aid, (x) => x.counts.granted_twice === 1 && x.counts.page_view === 2);
    expect(v.eventCount).toBe(3);
  });

  it('a batch that keeps failing is given up after 8 attempts (counted across page loads, logged by the debug build) and never holds back newer events', async () => {
    const context = await h.newContext();
    // The pages' clock only moves when the test says so: backoff timers fire exactly when asked.
    await context.clock.install();
    await context.clock.pauseAt(Date.now() + 1000);
    const logs: string[] = [];
    context.on('console', (m) => logs.push(m.text()));
    let failures = 0;
    await context.route(`${h.workerUrl}/v1/collect`, (route) => {
      if ((route.request().postData() ?? '').includes('poison_event')) {
        failures++;
        return route.fulfill({ status: 503, headers: { 'access-control-allow-origin': '*' }, body: '{}' });
      }
      return route.continue();
    });
    const page = await context.newPage();
    await page.goto(`${h.siteUrl}/retry.html`);
    const aid = await h.anonymousId(page);
    await h.waitForVisitor(aid, (v) => v.counts.page_view === 1);
    await le(page).track('download', { poison_event: true }); // urgent: fails at once
    await expect.poll(() => stored(page, h.site)).toEqual([1]);

    // A new event waits for the backoff, then goes first, in a batch of its own.
    await le(page).track('webinar_signup');
    await page.clock.runFor(1000);
    await h.waitForVisitor(aid, (v) => v.counts.webinar_signup === 1);
    await expect.poll(() => stored(page, h.site)).toEqual([2]); // the failing one was retried right after
    await page.clock.runFor(60_000);
    await expect.poll(() => stored(page, h.site)).toEqual([3]);

    // The count lives with the event in IndexedDB: the next page load carries on from it. (The tab
    // is killed: a page-hide beacon reports no outcome, counts no attempt, and bypasses the route.)
    await killTab(page);
    const next = await context.newPage();
    await next.goto(`${h.siteUrl}/retry.html`);
    await expect.poll(() => stored(next, h.site)).toEqual([4]);
    for (let n = 5; n <= 7; n++) {
      await next.clock.runFor(60_000);
      await expect.poll(() => stored(next, h.site)).toEqual([n]);
    }
    await next.clock.runFor(60_000);
    await expect.poll(() => stored(next, h.site)).toEqual([]);
    expect(failures).toBe(8);
    expect(logs).toContain('[leadedge] gave up on events after 8 failed sends (1 so far)');
    await next.clock.runFor(300_000);
    await next.waitForTimeout(300);
    expect(failures).toBe(8);
    expect((await h.visitor(aid))!.counts).toEqual({ page_view: 2, webinar_signup: 1 });
  });

  it('an answer saying the visitor was erased makes the SDK forget its id, session, cached decision and whole queue', async () => {
    const context = await h.newContext();
    const page = await context.newPage();
    const bodies: string[] = [];
    page.on('request', (r) => r.url() === `${h.workerUrl}/v1/collect` && bodies.push(r.postData() ?? ''));
    await page.goto(`${h.siteUrl}/page.html`);
    const aid = await h.anonymousId(page);
    await h.waitForVisitor(aid, (v) => v.counts.page_view === 1);

    let answer!: () => void;
    const held = new Promise<void>((r) => (answer = r));
    await page.route(`${h.workerUrl}/v1/collect`, async (route) => {
      await held;
      // What the Worker answers for an erased visitor (the lead's server side; its shape is the contract).
      const erased = { visitor: { id: aid, stage: 'anonymous' }, ctas: {}, accepted: 0, duplicates: 0, tracked: false, erased: true };
      return route.fulfill({ status: 200, contentType: 'application/json', headers: { 'access-control-allow-origin': '*' }, body: JSON.stringify(erased) });
    });
    await le(page).track('demo_request', { first: true }); // urgent: in flight, held
    await context.setOffline(true); // what follows stays queued (and stored) meanwhile
    await le(page).track('queued_while_erased');
    await expect.poll(() => queued(page, h.site)).toBe(2);
    await context.setOffline(false);
    answer();

    await expect.poll(() => queued(page, h.site)).toBe(0);
    const fresh = await page.evaluate(() => (window as unknown as { leadedge: Api }).leadedge.anonymousId());
    expect(fresh).not.toBe(aid);
    expect(await keptIds(page)).toEqual({ cookie: [fresh], storage: ['le_aid'] });
    await page.unroute(`${h.workerUrl}/v1/collect`);
    await le(page).track('download');
    const v = await h.waitForVisitor(fresh, (x) => x.counts.download === 1);
    expect(v.counts.queued_while_erased).toBeUndefined();
    expect(bodies.some((b) => b.includes('queued_while_erased'))).toBe(false);
    expect(bodies.filter((b) => b.includes(fresh)).every((b) => !b.includes(aid))).toBe(true);
  });

  it('cookieless mode sets no cookie and no localStorage; the id lives in sessionStorage', async () => {
    const context = await h.newContext();
    const page = await context.newPage();
    await page.goto(`${h.siteUrl}/cookieless.html`);
    const aid = await h.anonymousId(page);
    await h.waitForVisitor(aid, (v) => v.counts.page_view === 1);
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.getItem('le_aid'))).toBe(aid);
  });

  it('the debug build explains what it does; /sdk.js is served with a content-hash ETag and revalidates with 304', async () => {
    const page = await (await h.newContext()).newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    await page.goto(`${h.siteUrl}/cookieless.html`);
    await expect.poll(() => logs.some((l) => l.startsWith('[leadedge] sent'))).toBe(true);
    expect(logs.some((l) => l.startsWith('[leadedge] captured'))).toBe(true);

    const first = await fetch(`${h.workerUrl}/sdk.js`);
    const etag = first.headers.get('etag')!;
    expect(first.status).toBe(200);
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    expect(first.headers.get('cache-control')).toContain('max-age=');
    expect(await first.text()).not.toContain('[leadedge]');
    expect((await fetch(`${h.workerUrl}/sdk.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('the script tag adds exactly one global', async () => {
    const page = await h.newPage('globals.html');
    expect(await page.evaluate(() => (window as { __added?: string[] }).__added)).toEqual(['leadedge']);
  });

  it('the ESM build works in the browser (import { createClient }) without a global', async () => {
    const page = await h.newPage('esm.html');
    await page.waitForFunction(() => 'leadedgeEsm' in window);
    const aid = await page.evaluate(() => (window as unknown as { leadedgeEsm: Api }).leadedgeEsm.anonymousId());
    expect(await page.evaluate(() => 'leadedge' in window)).toBe(false);
    const v = await h.waitForVisitor(aid, (x) => x.counts.page_view === 1 && x.counts.esm_loaded === 1);
    expect(v.timeline.find((e) => e.type === 'track')).toMatchObject({ name: 'esm_loaded', props: { via: 'import' } });
  });
});
