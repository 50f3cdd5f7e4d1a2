/**
 * What the view suites share (views.test.ts, roles.test.ts): screenshots, console-error watching,
 * server-side beacons, the demo journey's events, and a browser context whose sales inbox may read
 * this run's webhook receiver.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { LeadEvent } from '../../worker/schema/events';
import { journey, makeBatch, makeEvent } from '../helpers/factories';
import { startReceiver } from '../../scripts/receiver.mjs';
import { DEMO_CONFIG } from '../../worker/config/demo-config';
import { ADMIN_TOKEN, startHarness, type Harness } from './harness';

/**
 * A run of the view suites: wrangler dev serving the demo site, its alerts going to this run's
 * sales-inbox receiver, and `secondSite` created with the same config (its counts stay exact).
 */
export async function startViewsRun(secondSite: string) {
  const receiver = await startReceiver({ port: 0 });
  const h = await startHarness({ site: 'demo' });
  // The demo site is served by the Worker itself, on this run's port; alerts go to this run's receiver.
  const config = { ...DEMO_CONFIG, allowedOrigins: [h.workerUrl], webhooks: [{ ...DEMO_CONFIG.webhooks![0]!, url: `${receiver.url}/hooks/sales` }] };
  await h.putSite(config);
  expect((await h.admin('PUT', `/sites/${secondSite}`, config)).status).toBe(201);
  return { h, receiver, config };
}

const ROOT = resolve(import.meta.dirname, '../..');
/** Screenshots go to test-results/screenshots, or to docs/screenshots with UPDATE_SCREENSHOTS=1. */
export const SHOTS = join(ROOT, process.env.UPDATE_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots');
mkdirSync(SHOTS, { recursive: true });

export async function shot(page: Page, name: string, fullPage = false) {
  await page.mouse.move(0, 0); // no hover highlight in the picture
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

/** Under load (other suites running) the views can take a few seconds; vitest's default poll is 1 s. */
export const POLL = { timeout: 15_000 };

/** Console errors and uncaught exceptions of a page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${page.url()}: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return errors;
}

/** Sends a batch the way a server-side integration would (no Origin header, the instance token). */
export async function collect(workerUrl: string, site: string, anonymousId: string, events: LeadEvent[]) {
  const res = await fetch(`${workerUrl}/v1/collect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify(makeBatch(events, { site, anonymousId })),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { visitor: { id: string; stage: string; score?: number }; tracked: boolean };
  expect(body.tracked).toBe(true);
  return body;
}

/** The demo journey's events as the SDK on the demo site would send them (with page titles). */
export const onSite = {
  download: () => ({ ...journey.download(), title: 'The analytics playbook (free ebook)' }),
  webinar: () => ({ ...journey.webinar(), title: 'Live webinar: analytics that sales trusts' }),
  pricing: () => ({ ...journey.pricing(), path: '/pricing', title: 'Pricing' }),
  demo: () => ({ ...journey.demo(), title: 'Book a demo' }),
  article: () => makeEvent({ type: 'page_view', url: 'http://localhost:8787/blog/finding-buyers', path: '/blog/finding-buyers', title: 'Finding buyers in your website traffic', topics: ['analytics'] }),
};

/**
 * A browser context whose inbox may read this run's receiver. The inbox takes a receiver only from
 * its own origin, the fixed demo ports or the site's /admin/inbox/receivers.json; this run's
 * receiver is on a free port, so the test serves that file as a deployer would write it.
 * `credential` is put in localStorage as if signed in earlier (none: the page asks).
 */
export async function viewsContext(h: Harness, opts: { receiverUrl?: string; credential?: string } = {}): Promise<BrowserContext> {
  const context = await h.newContext({ viewport: { width: 1280, height: 860 } });
  if (opts.credential) await context.addInitScript((token) => localStorage.setItem('leadedge.admin.token', token), opts.credential);
  if (opts.receiverUrl) await context.route(`${h.workerUrl}/admin/inbox/receivers.json`, (route) => route.fulfill({ json: { receivers: [opts.receiverUrl] } }));
  return context;
}
