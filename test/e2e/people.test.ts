/**
 * People (issue 20), the browser side, in real Chromium against the real Worker: an email link's
 * `le_t` token leaves the address bar and goes once as the batch's linkToken; the person hint a
 * collect answer carries goes back right after anonymousId in the next beacons, until an answer
 * without it. The answers' `person` is injected here, so these tests need no linked person
 * (test/e2e/people-journey.test.ts links real ones).
 */
import type { BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageViews, recordSentBodies, sentBodies, startHarness, waitFor, type Harness } from './harness';

const PERSON = 'p~0123456789abcdef0123456789abcdef';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ site: 'e2e-people' });
});
afterAll(async () => {
  await h?.close();
});

type Api = { page(): void; reset(): void; identify(t: object, userId?: string): void };
const le = (page: Page, call: (api: Api) => void) => page.evaluate(`(${call.toString()})(window.leadedge)`);

/** A context whose pages record the bodies the SDK sends (recordSentBodies) and start with a history state of their own. */
async function recordingContext(init?: () => void): Promise<BrowserContext> {
  const context = await h.newContext();
  await context.addInitScript(() => history.replaceState({ app: 'state' }, ''));
  await recordSentBodies(context);
  if (init) await context.addInitScript(init);
  return context;
}
/** Waits for the `n`th body the page sent (1-based) and returns it. */
const nthBody = (page: Page, n: number) => waitFor(`body #${n}`, async () => (await sentBodies(page))[n - 1]);

/**
 * Answers collect through the real Worker: the first request with 503 without reaching it
 * (`failFirst`), and, with `person`, each answer with the person it returns added. Counts requests and answers.
 */
async function answerWith(page: Page, opts: { failFirst?: boolean; person?: () => string | undefined }) {
  let n = 0;
  let answered = 0;
  await page.route(`${h.workerUrl}/v1/collect`, async (route: Route) => {
    if (++n === 1 && opts.failFirst) return route.fulfill({ status: 503, headers: { 'access-control-allow-origin': '*' }, json: { error: { code: 'test', message: 'injected' } } });
    // The injected person is not real: the Worker routes its hint to an empty person, which sends the beacon back to the browser's own object.
    const res = await route.fetch();
    const person = opts.person?.();
    await route.fulfill({ response: res, json: person ? { ...((await res.json()) as object), person } : await res.json() });
    answered++;
  });
  return { requests: () => n, answered: () => answered };
}

describe('link tokens', () => {
  it('le_t leaves the address bar (other parameters, hash and history state kept), goes once with the landing page view, and is not in the recorded URL', async () => {
    const page = await (await recordingContext()).newPage();
    await page.goto(`${h.siteUrl}/?utm_source=x&le_t=abc.def#frag`);
    const aid = await h.anonymousId(page);
    expect(page.url()).toBe(`${h.siteUrl}/?utm_source=x#frag`);
    expect(await page.evaluate(() => history.state)).toEqual({ app: 'state' });

    const first = await nthBody(page, 1);
    expect(JSON.parse(first)).toMatchObject({ anonymousId: aid, linkToken: 'abc.def', events: [{ type: 'page_view' }] });
    const v = await h.waitForVisitor(aid, (x) => x.counts.page_view === 1);
    expect(pageViews(v)[0]!.url).toBe(`${h.siteUrl}/?utm_source=x#frag`);

    await le(page, (api) => api.page());
    const second = await nthBody(page, 2);
    expect(second).not.toContain('linkToken');
    await h.waitForVisitor(aid, (x) => x.counts.page_view === 2);
    expect((await sentBodies(page)).filter((b) => b.includes('abc.def'))).toHaveLength(1);
  });

  it('a send that fails keeps the token: the retried batch still carries it', async () => {
    const page = await (await recordingContext()).newPage();
    const { requests } = await answerWith(page, { failFirst: true });
    await page.goto(`${h.siteUrl}/?le_t=tok-retry`);
    const aid = await h.anonymousId(page);
    const retried = await nthBody(page, 2);
    expect(requests()).toBe(2);
    expect(JSON.parse(await nthBody(page, 1))).toMatchObject({ linkToken: 'tok-retry' });
    expect(JSON.parse(retried)).toMatchObject({ anonymousId: aid, linkToken: 'tok-retry', events: [{ type: 'page_view' }] });
    await h.waitForVisitor(aid, (x) => x.counts.page_view === 1);
  });

  it('a malformed or oversized token is dropped silently (still taken out of the address bar)', async () => {
    for (const bad of ['has%20space', 'x'.repeat(1025), '']) {
      const page = await (await recordingContext()).newPage();
      await page.goto(`${h.siteUrl}/?le_t=${bad}&q=1`);
      const aid = await h.anonymousId(page);
      expect(page.url()).toBe(`${h.siteUrl}/?q=1`);
      expect(JSON.parse(await nthBody(page, 1))).toMatchObject({ anonymousId: aid, events: [{ type: 'page_view' }] });
      expect((await sentBodies(page))[0]).not.toContain('linkToken');
    }
  });

  it('with GPC or a remembered denial the token leaves the address bar and is never stored or sent', async () => {
    const offs = [
      () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
      () => localStorage.setItem('le_consent', '0'),
    ];
    for (const off of offs) {
      const page = await (await recordingContext(off)).newPage();
      await page.goto(`${h.siteUrl}/?le_t=tok-private#x`);
      await h.anonymousId(page);
      expect(page.url()).toBe(`${h.siteUrl}/#x`);
      await page.waitForTimeout(500);
      expect(await sentBodies(page)).toEqual([]);
      const kept = await page.evaluate(async () => JSON.stringify({ ...localStorage }) + JSON.stringify(await indexedDB.databases()) + document.cookie);
      expect(kept).not.toContain('tok-private');
    }
  });
});

describe('person hint', () => {
  it('an answer naming a person puts it right after anonymousId in the next beacons (and in storage); an answer without one forgets it', async () => {
    const page = await (await recordingContext()).newPage();
    let linked = true;
    const { answered } = await answerWith(page, { person: () => (linked ? PERSON : undefined) });
    await page.goto(`${h.siteUrl}/page.html`);
    const aid = await h.anonymousId(page);
    expect(await nthBody(page, 1)).not.toContain('"person"');
    await expect.poll(() => page.evaluate(() => localStorage.getItem('le_pid'))).toBe(PERSON);

    await le(page, (api) => api.page());
    const second = await nthBody(page, 2);
    expect(second.startsWith(`{"site":"${h.site}","anonymousId":"${aid}","person":"${PERSON}",`)).toBe(true);
    await waitFor('second answer', async () => answered() >= 2);
    await h.waitForVisitor(aid, (x) => x.counts.page_view === 2);

    linked = false;
    await le(page, (api) => api.page());
    expect(await nthBody(page, 3)).toContain(`"person":"${PERSON}"`); // sent before the unlinking answer
    await waitFor('third answer', async () => answered() >= 3);
    await expect.poll(() => page.evaluate(() => localStorage.getItem('le_pid'))).toBeNull();
    await le(page, (api) => api.page());
    const fourth = await nthBody(page, 4);
    expect(fourth.startsWith(`{"site":"${h.site}","anonymousId":"${aid}","sessionId":`)).toBe(true);
    await h.waitForVisitor(aid, (x) => x.counts.page_view === 4);
  });

  it('reset() forgets the person: the new anonymous id\'s beacons carry none', async () => {
    const page = await (await recordingContext()).newPage();
    await answerWith(page, { person: () => PERSON });
    await page.goto(`${h.siteUrl}/page.html`);
    const aid = await h.anonymousId(page);
    await expect.poll(() => page.evaluate(() => localStorage.getItem('le_pid'))).toBe(PERSON);
    await le(page, (api) => {
      api.reset();
      api.page();
    });
    const next = JSON.parse(await nthBody(page, 2)) as { anonymousId: string; person?: string };
    expect(next.anonymousId).not.toBe(aid);
    expect(next.person).toBeUndefined();
  });

  it('identify(traits, userId) sends the userId (trimmed), also through the snippet stub', async () => {
    // The snippet stub's queue, as the one-line snippet leaves it for the script to replay.
    const page = await (await recordingContext(() => Object.assign(window, { leadedge: [['identify', { company: 'Stub' }, 'acct-stub']] }))).newPage();
    await page.goto(`${h.siteUrl}/page.html`);
    const aid = await h.anonymousId(page);
    await le(page, (api) => api.identify({ email: 'ana@acme.io' }, '  acct-42 '));
    await le(page, (api) => api.identify({}, 'acct-43'));
    await le(page, (api) => api.identify({ company: 'Acme' }, 'x'.repeat(257)));
    await h.waitForVisitor(aid, (x) => x.counts.identify === 4, 20_000);
    const identifies = (await sentBodies(page)).flatMap((b) => (JSON.parse(b) as { events: { type: string; userId?: string; traits?: object }[] }).events).filter((e) => e.type === 'identify');
    expect(identifies.map((e) => [e.userId, e.traits])).toEqual([
      ['acct-stub', { company: 'Stub' }],
      ['acct-42', { email: 'ana@acme.io' }],
      ['acct-43', {}],
      [undefined, { company: 'Acme' }],
    ]);
  });
});
