/**
 * Keys and roles in the views, in real Chromium against `wrangler dev` (issue 18's "done when"):
 * a sales key opens the inbox and accepts a lead, and is refused on the config page and on
 * PUT /v1/admin/sites/:site; a marketer key for one site is refused on another; a key revoked on
 * the Keys page stops working; the audit log shows the verdict with the sales key's id.
 * Local dev seeds the demo site's documented keys (worker/config/dev-keys.ts), offered on localhost.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startReceiver } from '../../scripts/receiver.mjs';
import { DEMO_CONFIG } from '../../worker/config/demo-config';
import { DEMO_KEYS } from '../../worker/config/dev-keys';
import { journey } from '../helpers/factories';
import { waitFor, type Harness } from './harness';
import { collect, onSite, POLL, shot, startViewsRun, viewsContext, watchErrors } from './views-kit';

const OTHER_SITE = 'e2e-other';
const demoKey = (role: string) => DEMO_KEYS.find((k) => k.role === role)!;
const SALES = demoKey('sales');
const MARKETER = demoKey('marketer');
const OWNER = demoKey('owner');

let h: Harness;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  ({ h, receiver } = await startViewsRun(OTHER_SITE));
  // Two leads that request a demo (SQL: the inbox gets their alerts), and one on the other site.
  for (const [aid, name] of [['e2e-role-ana', 'Ana Lima'], ['e2e-role-ben', 'Ben Carter']] as const) {
    await collect(h.workerUrl, 'demo', aid, [onSite.article(), journey.identify({ email: `${aid}@northwind.io`, name, company: 'Northwind', title: 'VP Marketing' }), onSite.download(), onSite.demo()]);
  }
  await collect(h.workerUrl, OTHER_SITE, 'e2e-role-zoe', [journey.identify({ email: 'zoe@globex.com', name: 'Zoe Park' }), onSite.download()]);
  await waitFor('the lead.sql alerts', async () => receiver.alerts.filter((a: { payload: { type: string } }) => a.payload.type === 'lead.sql').length >= 2, 60_000);
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

/** Calls the admin API with a credential, as curl would. */
async function apiAs(credential: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${h.workerUrl}/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
}

/** The navigation links shown, in order. */
const navLinks = (page: Page) => page.locator('.top nav a:visible').allTextContents();

/** Signs in through the dialog with a typed credential. */
async function signIn(page: Page, credential: string) {
  await page.locator('#sign-in-dialog[open]').waitFor();
  await page.fill('#sign-in-input', credential);
  await page.click('#sign-in-dialog button[value="sign-in"]');
  await page.locator('#sign-in-dialog').waitFor({ state: 'hidden' });
}

const inbox = () => `${h.workerUrl}/admin/inbox/?receiver=${encodeURIComponent(receiver.url)}`;

describe('keys and roles in the views', () => {
  let sales: BrowserContext;
  let owner: Page;
  /** The key the owner creates on the Keys page: `{ id, key }`. */
  let rita: { id: string; key: string };

  it('a sales key opens the inbox (one click on localhost) and accepts a lead; it sees only Leads and the inbox', async () => {
    sales = await viewsContext(h, { receiverUrl: receiver.url });
    const page = await sales.newPage();
    const errors = watchErrors(page);
    await page.goto(inbox());
    // No credential yet: the inbox asks, and offers the documented demo keys on localhost.
    await page.click('#sign-in-dialog[open] button[data-demo="sales"]');
    await expect.poll(() => page.textContent('#who'), POLL).toBe(`sales (sam) · ${SALES.id} · site demo`); // the inbox has no site picker
    expect(await navLinks(page)).toEqual(['Leads', 'Sales inbox']);

    const card = page.locator('.alert[data-visitor="e2e-role-ana"]');
    await card.locator('button:has-text("Accept")').click();
    await expect.poll(() => card.locator('.verdict').textContent(), POLL).toContain('Accepted by sales');
    expect((await h.visitor('e2e-role-ana'))!.stage).toBe('sal');
    expect(errors).toEqual([]);
  });

  it('the same sales key is refused on the config page (the page says so) and on PUT /v1/admin/sites/:site (403)', async () => {
    const page = await sales.newPage();
    const errors = watchErrors(page);
    await page.goto(`${h.workerUrl}/admin/#/config`);
    const refused = page.locator('#refused');
    await expect.poll(() => refused.textContent(), POLL).toContain("Your key's role (sales) cannot open this page.");
    expect(await refused.textContent()).toContain('Rules & CTAs needs GET /v1/admin/sites/:site');
    expect(await page.locator('.editor').count()).toBe(0);
    expect(await navLinks(page)).toEqual(['Leads', 'Sales inbox']);
    // Every page outside its role says the same, reached by URL (no link leads there).
    for (const [hash, label] of [['funnel', 'Funnel'], ['calibration', 'Calibration'], ['keys', 'Keys'], ['audit', 'Audit log']]) {
      await page.goto(`${h.workerUrl}/admin/#/${hash}`);
      await expect.poll(() => refused.textContent(), POLL).toContain(`${label} needs`);
    }

    // The lead page: accept/reject, but no export, no erase.
    await page.goto(`${h.workerUrl}/admin/#/visitor/e2e-role-ben`);
    await page.locator('#verdict button:has-text("Accept")').waitFor();
    expect(await page.locator('#verdict button:has-text("Reject…")').count()).toBe(1);
    expect(await page.locator('#export-visitor, #erase-visitor').count()).toBe(0);
    expect(errors).toEqual([]);

    const current = await h.admin('GET', '/sites/demo');
    const put = await apiAs(SALES.key, 'PUT', '/sites/demo', current.body.config);
    expect(put.status).toBe(403);
    expect(put.body.error!.code).toBe('forbidden');
    expect(put.body.error!.message).toContain('"sales" role may not PUT');
  });

  it('a marketer key for the demo site is refused on another site, and sees everything but Keys on its own', async () => {
    const page = await (await viewsContext(h)).newPage();
    const errors = watchErrors(page);
    await page.goto(`${h.workerUrl}/admin/`);
    // A wrong credential is refused inside the dialog, with the API's reason.
    await page.locator('#sign-in-dialog[open]').waitFor();
    await page.fill('#sign-in-input', `le_demo_${'f'.repeat(64)}`);
    await page.click('#sign-in-dialog button[value="sign-in"]');
    await expect.poll(() => page.textContent('#sign-in-error'), POLL).toContain('Refused: the token or key is wrong, or the key was revoked');
    await page.click('#sign-in-dialog button[data-demo="marketer"]');
    await expect.poll(() => page.textContent('#who'), POLL).toBe(`marketer · ${MARKETER.id}`);
    // The site comes from the key.
    expect(await page.inputValue('#site')).toBe('demo');
    expect(await page.getAttribute('#site', 'readonly')).not.toBeNull();
    expect(await navLinks(page)).toEqual(['Leads', 'Funnel', 'Rules & CTAs', 'Calibration', 'Audit log', 'Sales inbox']);
    await page.goto(`${h.workerUrl}/admin/#/visitor/e2e-role-ben`);
    await page.locator('#export-visitor').waitFor();
    expect(await page.locator('#erase-visitor, #verdict').count()).toBe(0);
    await page.goto(`${h.workerUrl}/admin/#/keys`);
    await expect.poll(() => page.textContent('#refused'), POLL).toContain("Your key's role (marketer) cannot open this page.");

    // Site B by URL: the API refuses the key and the page says why, with a way back to its own site.
    await page.goto(`${h.workerUrl}/admin/?site=${OTHER_SITE}#/leads`);
    const refused = page.locator('#refused');
    await expect.poll(() => refused.textContent(), POLL).toContain(`Your key cannot open site "${OTHER_SITE}".`);
    expect(await refused.textContent()).toContain(`this key belongs to site "demo", not "${OTHER_SITE}"`);
    expect(await navLinks(page)).toEqual([]);
    expect(await page.locator('table.leads').count()).toBe(0);
    await refused.locator('a:has-text("Open site demo")').click();
    await page.locator('tr[data-id="e2e-role-ben"]').waitFor();
    expect(errors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]); // the browser logs the refused requests themselves

    // Sign out: the credential is forgotten and the sign-in is back.
    await page.click('#sign-out');
    await page.locator('#sign-in-dialog[open]').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('leadedge.admin.token'))).toBeNull();
    expect(await navLinks(page)).toEqual([]);

    for (const [method, path] of [['GET', `/sites/${OTHER_SITE}/visitors`], ['GET', `/sites/${OTHER_SITE}/visitors/e2e-role-zoe`], ['PUT', `/sites/${OTHER_SITE}`]] as const) {
      const res = await apiAs(MARKETER.key, method, path, method === 'PUT' ? DEMO_CONFIG : undefined);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error!.message).toBe(`this key belongs to site "demo", not "${OTHER_SITE}"`);
    }
  });

  it('an owner creates a sales key on the Keys page (shown once), and once revoked it stops working: the next action shows the sign-in with the reason', async () => {
    owner = await (await viewsContext(h)).newPage();
    const errors = watchErrors(owner);
    await owner.goto(`${h.workerUrl}/admin/`);
    await owner.click('#sign-in-dialog[open] button[data-demo="owner"]');
    await expect.poll(() => navLinks(owner), POLL).toEqual(['Leads', 'Funnel', 'Rules & CTAs', 'Calibration', 'Keys', 'Audit log', 'Sales inbox']);
    await owner.click('.top nav a:has-text("Keys")');
    await owner.locator(`#keys tr[data-key="${SALES.id}"]`).waitFor();
    expect(await owner.locator(`#keys tr[data-key="${OWNER.id}"]`).textContent()).toContain('you');

    await owner.selectOption('#create-key select[name=role]', 'sales');
    await owner.fill('#create-key input[name=label]', 'Rita (sales)');
    await owner.fill('#create-key input[name=repId]', 'rita');
    await owner.click('#create-key button:has-text("Create key")');
    const value = owner.locator('#new-key-value');
    await value.waitFor();
    const key = (await value.textContent())!;
    expect(key).toMatch(/^le_demo_[0-9a-f]{64}$/);
    expect(await owner.textContent('#new-key')).toContain('this key will not be shown again');
    expect(await owner.locator('#copy-key').count()).toBe(1);
    const listed = (await apiAs(OWNER.key, 'GET', '/sites/demo/keys')).body.keys as { id: string; label: string; repId?: string; lastUsedAt: string | null }[];
    const made = listed.find((k) => k.label === 'Rita (sales)')!;
    expect(made).toMatchObject({ repId: 'rita', lastUsedAt: null });
    rita = { id: made.id, key };
    const row = owner.locator(`#keys tr[data-key="${rita.id}"]`);
    await expect.poll(() => row.locator('.last-used').textContent(), POLL).toBe('never');
    await shot(owner, 'admin-keys');

    // Rita signs in with it (typed), and accepts a lead on its page.
    const ritaPage = await (await viewsContext(h)).newPage();
    await ritaPage.goto(`${h.workerUrl}/admin/#/visitor/e2e-role-ben`);
    await signIn(ritaPage, rita.key);
    await expect.poll(() => ritaPage.textContent('#who'), POLL).toBe(`sales (rita) · ${rita.id}`);
    await ritaPage.click('#verdict button:has-text("Accept")');
    await expect.poll(() => ritaPage.textContent('#verdict'), POLL).toContain('Accepted by sales');
    expect((await h.visitor('e2e-role-ben'))!.stage).toBe('sal');

    // Shown once: the Keys page never shows it again, and now says when it was last used.
    await owner.reload();
    await expect.poll(() => row.locator('.last-used').textContent(), POLL).toBe('just now');
    expect(await owner.locator('#new-key-value').count()).toBe(0);
    expect(await owner.textContent('body')).not.toContain(rita.key);

    await row.locator('button:has-text("Revoke")').click(); // asks again inline
    await row.locator('button:has-text("Revoke Rita (sales)?")').click();
    await expect.poll(() => owner.textContent('#keys-status'), POLL).toContain(`Revoked ${rita.id}`);
    expect(await owner.locator(`#keys tr[data-key="${rita.id}"]`).count()).toBe(0);

    // Rita's next action: the sign-in again, saying why.
    await ritaPage.click('.top nav a:has-text("Leads")');
    await ritaPage.locator('#sign-in-dialog[open]').waitFor();
    expect(await ritaPage.textContent('#sign-in-reason')).toBe('Signed out: the token or key is wrong, or the key was revoked. Sign in again.');
    expect(await ritaPage.evaluate(() => localStorage.getItem('leadedge.admin.token'))).toBeNull();
    expect(await ritaPage.locator('table.leads tr.clickable').count()).toBe(0);
    expect((await apiAs(rita.key, 'GET', '/sites/demo/visitors')).status).toBe(401);
    expect(errors).toEqual([]);
  });

  it("the audit log shows each verdict with the sales key's id, and the keys made and revoked, paged", async () => {
    await owner.click('.top nav a:has-text("Audit log")');
    const verdicts = owner.locator('#audit tr[data-action="visitor.verdict"]');
    await verdicts.first().waitFor();
    const sam = owner.locator(`#audit tr[data-action="visitor.verdict"][data-key="${SALES.id}"]`);
    expect(await sam.count()).toBe(1);
    expect(await sam.locator('td').allTextContents()).toEqual([expect.any(String), SALES.id, 'sales', 'visitor.verdict', 'e2e-role-ana', 'verdict: accepted · stage: sal']);
    const byRita = owner.locator(`#audit tr[data-action="visitor.verdict"][data-key="${rita.id}"]`);
    expect(await byRita.locator('td').nth(4).textContent()).toBe('e2e-role-ben');
    expect(await owner.locator(`#audit tr[data-action="key.create"][data-key="${OWNER.id}"] td`).nth(4).textContent()).toBe(rita.id);
    expect(await owner.locator(`#audit tr[data-action="key.revoke"][data-key="${OWNER.id}"] td`).nth(4).textContent()).toBe(rita.id);
    await shot(owner, 'admin-audit');

    // Newest first, two a page: Rita's revocation, her key's creation... then older, and back.
    const actions = () => owner.locator('#audit tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.action));
    await owner.goto(`${h.workerUrl}/admin/#/audit?limit=2`);
    await expect.poll(actions, POLL).toEqual(['key.revoke', 'visitor.verdict']);
    await owner.click('text=Older →');
    await expect.poll(actions, POLL).toEqual(['key.create', 'visitor.verdict']);
    await owner.click('text=← Newer');
    await expect.poll(actions, POLL).toEqual(['key.revoke', 'visitor.verdict']);
  });
});
