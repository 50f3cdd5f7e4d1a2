/**
 * People (issue 20) in the views, in real Chromium against `wrangler dev`: Ana reads and downloads
 * on her laptop, then names the same email on her phone. The lead page of the person lists both
 * browsers (how each was linked, what each is shown) and labels the timeline by browser; the leads
 * table says "2 browsers"; the sales inbox files both browsers' alerts on one card that says
 * "seen on 2 browsers", with the merge on its own line; Split off (owner) gives the phone back its
 * own lead. Beacons are sent as a page would (allowed Origin, no key), so both links are claims.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startReceiver } from '../../scripts/receiver.mjs';
import { DEMO_KEYS } from '../../worker/config/dev-keys';
import type { LeadEvent } from '../../worker/schema/events';
import { journey, makeBatch } from '../helpers/factories';
import { waitFor, type Harness } from './harness';
import { onSite, POLL, shot, startViewsRun, viewsContext, watchErrors } from './views-kit';

const OWNER = DEMO_KEYS.find((k) => k.role === 'owner')!;
const SALES = DEMO_KEYS.find((k) => k.role === 'sales')!;
const LAPTOP = { aid: 'e2e-pv-laptop', ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', device: 'Chrome 124 on macOS' };
const PHONE = { aid: 'e2e-pv-phone', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', device: 'Safari 17 on iOS' };
const EMAIL = 'ana.lima@northwind.io';

type Alert = { id: string; payload: { type: string; data: { person?: { id: string; browserCount: number }; merge?: { scoreBefore: number; scoreAfter: number } } } };
type Row = { id: string; personId?: string; browsers?: number };

let h: Harness;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let personId: string;

/** A beacon as the SDK on the demo site sends it: the site's own Origin, the device's user agent, no key. */
async function beacon(browser: typeof LAPTOP, events: LeadEvent[]) {
  const start = Date.now() - events.length * 1000;
  const res = await fetch(`${h.workerUrl}/v1/collect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: h.workerUrl, 'user-agent': browser.ua },
    body: JSON.stringify(makeBatch(events.map((e, i) => ({ ...e, ts: start + i * 1000 })), { site: 'demo', anonymousId: browser.aid })),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

const leadRows = async () => (await h.admin('GET', '/sites/demo/visitors')).body.visitors as Row[];

beforeAll(async () => {
  let config;
  ({ h, receiver, config } = await startViewsRun('e2e-pv-other'));
  // The sales inbox gets lead.merged too.
  const hook = config.webhooks[0]!;
  expect((await h.admin('PUT', '/sites/demo', { ...config, webhooks: [{ ...hook, events: [...hook.events!, 'lead.merged'] }] })).status).toBe(200);

  const traits = { email: EMAIL, name: 'Ana Lima', company: 'Northwind', title: 'VP Marketing' };
  // The laptop alone becomes an MQL (66 points): its alert has no person yet.
  await beacon(LAPTOP, [onSite.article(), journey.identify(traits), onSite.download(), onSite.webinar()]);
  await waitFor('the laptop\'s lead.mql', async () => (receiver.alerts as Alert[]).some((a) => a.payload.type === 'lead.mql'));
  // The phone reads the pricing page, then names the same email: one person.
  await beacon(PHONE, [onSite.pricing()]);
  await beacon(PHONE, [journey.identify(traits)]);
  const person = await waitFor('the person', async () => {
    const res = await h.admin('GET', `/sites/demo/people?email=${encodeURIComponent(EMAIL)}`);
    return res.status === 200 && (res.body.person as { browserCount: number } | undefined)?.browserCount === 2 ? res.body : null;
  });
  personId = person.personId as string;
  await waitFor('one row for the person', async () => (await leadRows()).some((r) => r.id === personId && r.browsers === 2));
  await waitFor('lead.merged', async () => (receiver.alerts as Alert[]).some((a) => a.payload.type === 'lead.merged'));
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const signedIn = async (credential: string): Promise<Page> => (await viewsContext(h, { credential, receiverUrl: receiver.url })).newPage();
const personPage = () => `${h.workerUrl}/admin/?site=demo#/visitor/${encodeURIComponent(personId)}`;
const browserRow = (page: Page, aid: string) => page.locator(`#browsers tbody tr[data-browser="${aid}"]`);

describe('a person in the marketer view', () => {
  it('the leads table says "2 browsers" on the person\'s row, which opens the person: both browsers claimed, the timeline labelled by browser', async () => {
    const page = await signedIn(OWNER.key);
    const errors = watchErrors(page);
    await page.goto(`${h.workerUrl}/admin/?site=demo#/leads`);
    const row = page.locator(`tr[data-id="${personId}"]`);
    await row.waitFor(POLL);
    expect(await row.locator('.chip.browsers').textContent()).toBe('2 browsers');
    expect(await page.locator(`tr[data-id="${LAPTOP.aid}"], tr[data-id="${PHONE.aid}"]`).count()).toBe(0);
    await row.click();

    await page.locator('#browsers').waitFor();
    expect(page.url()).toBe(personPage());
    expect(await page.textContent('#seen-on')).toBe('seen on 2 browsers');
    expect(await page.textContent('h1')).toBe('Ana Lima');
    const rows = page.locator('#browsers tbody tr');
    expect(await rows.count()).toBe(2);
    const listed = ((await h.admin('GET', `/sites/demo/people/${personId}`)).body.person as { browsers: { anonymousId: string; userAgent?: string }[] }).browsers;
    for (const b of [LAPTOP, PHONE]) {
      const r = browserRow(page, b.aid);
      expect(await r.getAttribute('data-linked-by')).toBe('claimed');
      expect(await r.locator('.chip.linked').textContent()).toBe('claimed');
      expect(await r.textContent()).toContain('not verified');
      // The user agent the Worker recorded for the browser, shortened (it records none for the first browser of a person).
      const ua = listed.find((x) => x.anonymousId === b.aid)?.userAgent;
      expect(await r.locator('td').nth(5).textContent()).toBe(ua ? b.device : '–');
      expect(await r.locator('button.split').textContent()).toBe('Split off');
    }
    expect(listed.find((x) => x.anonymousId === PHONE.aid)?.userAgent).toBe(PHONE.ua);
    expect(await browserRow(page, LAPTOP.aid).locator('.stage').textContent()).toBe('MQL'); // what the laptop reached alone
    expect(await browserRow(page, PHONE.aid).locator('.stage').textContent()).toBe('Known');
    expect(await page.textContent('#identifiers')).toContain(`email: ${EMAIL}`);
    expect(await page.locator('#conflicts').count()).toBe(0);

    // Each timeline entry names its browser with the label of the Browsers list.
    const label = async (aid: string) => (await browserRow(page, aid).locator('td b').first().textContent())!;
    expect([await label(LAPTOP.aid), await label(PHONE.aid)].sort()).toEqual(['Browser 1', 'Browser 2']);
    const entries = await page.locator('#timeline .browser-label').evaluateAll((els) => els.map((el) => [(el as HTMLElement).dataset.browser, el.textContent]));
    expect(new Set(entries.map(([aid]) => aid))).toEqual(new Set([LAPTOP.aid, PHONE.aid]));
    for (const [aid, text] of entries) expect(text).toBe(await label(aid!));
    expect(await page.locator('#timeline li').count()).toBe(await page.locator('#timeline .browser-label').count());
    await shot(page, 'admin-person', true);
    expect(errors).toEqual([]);
  });

  it('a browser\'s own id opens its person, saying which of its browsers it is', async () => {
    const page = await signedIn(OWNER.key);
    await page.goto(`${h.workerUrl}/admin/?site=demo#/visitor/${PHONE.aid}`);
    await page.locator('#opened-as').waitFor();
    expect(page.url()).toBe(personPage());
    expect(await page.textContent('#opened-as')).toContain(`You opened browser ${PHONE.aid}`);
    expect(await page.locator('#browsers tr.opened').getAttribute('data-browser')).toBe(PHONE.aid);
  });

  it('sales sees the browsers but no Split off, export or erase (its role may not)', async () => {
    const page = await signedIn(SALES.key);
    await page.goto(personPage());
    await page.locator('#browsers tbody tr').first().waitFor();
    expect(await page.locator('#browsers tbody tr').count()).toBe(2);
    expect(await page.locator('#browsers button.split').count()).toBe(0);
    expect(await page.locator('#export-visitor, #erase-visitor').count()).toBe(0);
    expect(await page.locator('#verdict button:has-text("Accept")').count()).toBe(1);
  });
});

describe('a person in the sales inbox', () => {
  it('one card for both browsers says "seen on 2 browsers", with the merge on its own line and a link to the person', async () => {
    const page = await signedIn(SALES.key);
    const errors = watchErrors(page);
    await page.goto(`${h.workerUrl}/admin/inbox/?receiver=${encodeURIComponent(receiver.url)}`);
    const card = page.locator(`.alert[data-visitor="${personId}"]`);
    await card.waitFor(POLL);
    expect(await card.locator('.seen-on').textContent()).toBe('seen on 2 browsers');
    // The laptop's lead.mql, sent before the phone joined, is on the person's card.
    expect(await page.locator(`.alert[data-visitor="${LAPTOP.aid}"], .alert[data-visitor="${PHONE.aid}"]`).count()).toBe(0);
    expect(await card.locator('.type-mql').textContent()).toBe('Became MQL');
    const merge = (receiver.alerts as Alert[]).find((a) => a.payload.type === 'lead.merged')!.payload.data.merge!;
    expect(merge.scoreAfter).toBeGreaterThan(merge.scoreBefore);
    const line = card.locator('.alert-types > span', { has: page.locator('.type-merged') });
    expect(await line.locator('.type-merged').textContent()).toBe('Browser joined');
    expect(await line.locator('.merge').textContent()).toBe(`score ${Math.round(merge.scoreBefore)} → ${Math.round(merge.scoreAfter)} (claimed the email)`);
    const href = (await card.locator('a:has-text("Open visitor")').getAttribute('href'))!;
    expect(new URL(href).searchParams.get('aid')).toBe(personId);
    await shot(page, 'inbox-person');
    expect(errors).toEqual([]);
  });
});

describe('splitting a browser off', () => {
  it('Split off asks first, then the phone leaves the person and is its own lead again', async () => {
    const page = await signedIn(OWNER.key);
    const errors = watchErrors(page);
    await page.goto(personPage());
    const split = browserRow(page, PHONE.aid).locator('button.split');
    await split.click();
    expect(await split.textContent()).toMatch(/^Split Browser \d off\? Its events leave this lead$/);
    expect(((await h.admin('GET', `/sites/demo/people/${personId}`)).body.person as { browserCount: number }).browserCount).toBe(2); // nothing yet
    await split.click();

    await expect.poll(() => page.locator('#browsers tbody tr').count(), POLL).toBe(1);
    await page.reload();
    await page.locator('#browsers').waitFor();
    expect(await page.locator('#browsers tbody tr').getAttribute('data-browser')).toBe(LAPTOP.aid);
    expect(await page.locator('#seen-on').count()).toBe(0);
    expect(await page.locator('#browsers button.split').count()).toBe(0); // the last browser stays
    expect(await page.locator(`#timeline .browser-label[data-browser="${PHONE.aid}"]`).count()).toBe(0);

    // The phone's own page: a lone visitor again, no person.
    await page.goto(`${h.workerUrl}/admin/?site=demo#/visitor/${PHONE.aid}`);
    await page.locator('#breakdown').waitFor();
    expect(page.url()).toContain(`#/visitor/${PHONE.aid}`);
    expect(await page.locator('#browsers, #seen-on').count()).toBe(0);
    expect((await h.admin('GET', `/sites/demo/visitors/${PHONE.aid}`)).body.personId).toBeUndefined();
    // The leads table: the person's row no longer says browsers; the phone has a row of its own.
    await waitFor('the phone\'s own row', async () => {
      const rows = await leadRows();
      return rows.some((r) => r.id === PHONE.aid) && rows.some((r) => r.id === personId && (r.browsers ?? 1) === 1);
    });
    await page.goto(`${h.workerUrl}/admin/?site=demo#/leads`);
    await page.locator(`tr[data-id="${PHONE.aid}"]`).waitFor(POLL);
    expect(await page.locator(`tr[data-id="${personId}"] .chip.browsers`).count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
