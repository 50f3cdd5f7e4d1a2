/**
 * People (issue 20), done-when, in Chromium with two separate browser contexts (two devices)
 * against the real Worker: the laptop reads and downloads the ebook anonymously, then identifies
 * as Ana; the phone identifies as the same email and signs up for the webinar. One lead, scored on
 * all their events, one lead.mql; the phone sees nothing of the laptop until it lands through an
 * email link token; split restores both scores; erase by email leaves nothing.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingReceiver, TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';
import { startHarness, waitFor, type Harness } from './harness';

let h: Harness;
let receiver: { url: string; close: () => Promise<void> };
type Log = { deliveries: { payload: { type: string; data: { person?: { id: string; browserCount: number }; merge?: unknown } } }[] };

beforeAll(async () => {
  receiver = await startRecordingReceiver();
  h = await startHarness({
    site: 'e2e-people-journey',
    config: {
      scoring: {
        halfLifeDays: 0,
        behavior: [
          { id: 'ebook', when: { type: 'download' }, points: 30 },
          { id: 'webinar', when: { type: 'webinar_signup' }, points: 30 },
        ],
      },
      stages: { mql: { score: 50 }, sql: { score: 500 } },
      ctas: {
        hero: [
          { id: 'for-mql', when: { stages: ['mql'] }, text: 'Welcome back {{firstName|there}}: compare plans' },
          { id: 'default', text: 'Read how teams find buyers' },
        ],
      },
      webhooks: [{ id: 'sales', url: `${receiver.url}/hooks/people`, secret: TEST_WEBHOOK_SECRET, events: ['lead.mql', 'lead.merged'] }],
      delivery: { retryScheduleSeconds: [0.2, 0.5], timeoutMs: 2000 },
    },
  });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const hooks = async (): Promise<Log> => (await fetch(`${receiver.url}/log/people`)).json() as Promise<Log>;
const identify = (page: Page, traits: object) => page.evaluate((t) => (window as unknown as { leadedge: { identify(t: object): void } }).leadedge.identify(t), traits);
const hero = (page: Page) => page.locator('#hero').textContent();

describe('one lead across two devices', () => {
  it('merges exactly, alerts once, keeps the phone blind until a link token, splits back and erases by email', async () => {
    const email = `ana.${Date.now()}@acme.io`;
    // The laptop: reads, downloads the ebook anonymously, then identifies.
    const laptop = await h.newPage('page.html');
    const laptopId = await h.anonymousId(laptop);
    await laptop.click('#dl');
    await h.waitForVisitor(laptopId, (v) => v.timeline.some((e) => e.type === 'download'));
    await identify(laptop, { email, name: 'Ana Lima' });
    await h.waitForVisitor(laptopId, (v) => v.stage === 'known');

    // The phone: the same email on the webinar form.
    const phone = await h.newPage('webinar.html');
    const phoneId = await h.anonymousId(phone);
    await phone.fill('input[name=email]', email);
    await phone.click('#submit');
    await phone.waitForURL(/thanks/);

    const admin = (path: string, method = 'GET', body?: unknown) => h.admin(method, `/sites/${h.site}${path}`, body);
    const person = await waitFor('one person', async () => {
      const res = await admin(`/people?email=${encodeURIComponent(email)}`);
      const p = res.body as { personId?: string; score?: { total: number }; person?: { browserCount: number } };
      return res.status === 200 && p.person?.browserCount === 2 && p.score?.total === 60 ? p : null;
    });
    const personId = person.personId!;
    // The leads index: one lead, whose score is the sum the rules give for all those events (30 + 30).
    const leads = await waitFor('one row', async () => {
      const rows = ((await admin('/visitors')).body.visitors as { id: string; score: number; stage: string; browsers?: number }[]).filter((r) => [personId, laptopId, phoneId].includes(r.id));
      return rows.length === 1 && rows[0]!.stage === 'mql' ? rows : null;
    });
    expect(leads).toEqual([expect.objectContaining({ id: personId, personId, score: 60, stage: 'mql', browsers: 2 })]);
    // Exactly one lead.mql, for the person.
    await waitFor('lead.mql', async () => (await hooks()).deliveries.some((d) => d.payload.type === 'lead.mql'));
    await new Promise((r) => setTimeout(r, 1500));
    const mql = (await hooks()).deliveries.filter((d) => d.payload.type === 'lead.mql');
    expect(mql).toHaveLength(1);
    expect(mql[0]!.payload.data.person).toEqual({ id: personId, browserCount: 2 });

    // The phone only claimed the email: its CTAs come from its own events (30 points, known), nothing of Ana's MQL.
    const phoneAgain = await phone.context().newPage();
    await phoneAgain.goto(`${h.siteUrl}/slot.html`);
    await waitFor('phone hero', async () => ((await hero(phoneAgain)) === 'Read how teams find buyers' ? true : null));
    // Landing through an email link token verifies it: now it is shown the person.
    const token = await admin('/link-tokens', 'POST', { email, ttlDays: 7 });
    expect(token.status).toBe(201);
    await phoneAgain.goto(`${h.siteUrl}/slot.html?utm_source=mail&le_t=${token.body.token as string}`);
    await waitFor('verified hero', async () => ((await hero(phoneAgain)) === 'Welcome back Ana: compare plans' ? true : null));
    expect(phoneAgain.url()).not.toContain('le_t');

    // Split the phone off: both score exactly what each would alone.
    const split = await admin(`/people/${personId}/split`, 'POST', { anonymousId: phoneId });
    expect(split.status, JSON.stringify(split.body)).toBe(200);
    expect(split.body.score).toEqual({ person: 30, browser: 30 });
    expect((await h.visitor(phoneId))!).toMatchObject({ id: phoneId });

    // Erase by email: nothing left in any object.
    const erased = await admin(`/people?email=${encodeURIComponent(email)}`, 'DELETE');
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect((await admin(`/people/${personId}`)).status).toBe(404);
    expect(await h.visitor(laptopId)).toBeNull();
    const rows = (await admin('/visitors')).body.visitors as { id: string }[];
    expect(rows.filter((r) => r.id === personId || r.id === laptopId)).toEqual([]);
  });
});
