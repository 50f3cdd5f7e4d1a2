/**
 * People in the views (demo-site/admin/person-view.js, inbox-card.js): the pure parts. Browser
 * labels shared by the Browsers list and the timeline, user agents as people say them, and how the
 * inbox files a person's alerts (lead.merged included). The pages themselves: test/e2e/views-people.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LeadPayload } from '../../worker/webhooks/payload';

type Browser = { anonymousId: string; foldedCount?: number };
type Alert = { id: string; receivedAt: number; payload: { type: string; data: Partial<LeadPayload['data']> } };
let person: {
  browserLabels(p: { browsers: Browser[] }): Map<string, string>;
  browserLabel(labels: Map<string, string>, id: string): string;
  shortUserAgent(ua?: string): string;
  seenOn(n: number): string;
  identifierText(key: string): string;
  identityLines(identity: Record<string, number>): string[];
};
let card: {
  alertLines(alerts: Alert[]): { key: string; types: string[]; merge?: unknown }[];
  mergeText(m: LeadPayload['data']['merge']): string;
  leadIdOf(p: Alert['payload']): string;
  browsersOf(p: Alert['payload']): string[];
  personOf(lead: { alerts: Alert[] }): { id: string; browserCount: number } | null;
};

beforeAll(async () => {
  // @ts-expect-error plain ES module of the marketer view, without types
  person = await import('../../demo-site/admin/person-view.js');
  // @ts-expect-error plain ES module of the marketer view, without types
  card = await import('../../demo-site/admin/inbox-card.js');
});

const PERSON = 'p~0123456789abcdef0123456789abcdef';
const alert = (id: string, receivedAt: number, type: string, data: Alert['payload']['data']): Alert => ({ id, receivedAt, payload: { type, data } });

describe('browser labels', () => {
  it('number the browsers in the order of the list, call the folded part "Folded", and fall back to a short id', () => {
    const labels = person.browserLabels({ browsers: [{ anonymousId: 'folded', foldedCount: 3 }, { anonymousId: 'laptop-1234567890' }, { anonymousId: 'phone-abc' }] });
    expect([...labels.values()]).toEqual(['Folded', 'Browser 1', 'Browser 2']);
    expect(person.browserLabel(labels, 'phone-abc')).toBe('Browser 2');
    // A browser folded past the cap keeps its own id on its old timeline entries.
    expect(person.browserLabel(labels, 'a-long-browser-id-0001')).toBe('a-long-b…');
    expect(person.browserLabels({ browsers: [] }).size).toBe(0);
  });

  it('"seen on N browsers" only from two on', () => {
    expect(person.seenOn(1)).toBe('');
    expect(person.seenOn(3)).toBe('seen on 3 browsers');
  });

  it('identifiers read as "kind: value"', () => {
    expect(person.identifierText('email:ana@acme.io')).toBe('email: ana@acme.io');
    expect(person.identifierText('userId:u:42')).toBe('userId: u:42');
  });
});

describe('user agents', () => {
  const cases: [string, string][] = [
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'Chrome 124 on macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', 'Safari 17 on iOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0', 'Firefox 125 on Windows'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51', 'Edge 124 on Windows'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36', 'Chrome 124 on Android'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1', 'Chrome 124 on iOS'],
    ['curl/8.5.0', 'curl/8.5.0'],
    ['x'.repeat(60), `${'x'.repeat(40)}…`],
  ];
  it.each(cases)('%s reads as %s', (ua, text) => {
    expect(person.shortUserAgent(ua)).toBe(text);
  });
  it('no user agent reads as nothing', () => {
    expect(person.shortUserAgent(undefined)).toBe('');
  });
});

describe('the inbox and a person', () => {
  const merged = alert('msg_2', 2000, 'lead.merged', {
    site: 'demo',
    visitor: { id: 'phone', url: 'http://x/admin/visitor?site=demo&aid=phone' },
    person: { id: PERSON, browserCount: 2 },
    merge: { browser: 'phone', linkedBy: 'claimed', verified: false, scoreBefore: 66, scoreAfter: 76 },
    trigger: null,
    timeline: [{ id: 'e2', type: 'page_view', path: '/pricing', at: 2, browser: 'phone' }, { id: 'e1', type: 'download', path: '/ebook', at: 1, browser: 'laptop' }],
  });
  const mqlBefore = alert('msg_1', 1000, 'lead.mql', { site: 'demo', visitor: { id: 'laptop', url: '' }, trigger: { id: 'e1', type: 'download', path: '/ebook', at: 1 }, timeline: [] });

  it('a person\'s alert is filed under the person, a lone browser\'s under the browser', () => {
    expect(card.leadIdOf(merged.payload)).toBe(PERSON);
    expect(card.leadIdOf(mqlBefore.payload)).toBe('laptop');
  });

  it('a person\'s alert names the browsers whose earlier cards join its card: sender, joiner and timeline', () => {
    expect(card.browsersOf(merged.payload).sort()).toEqual(['laptop', 'phone']);
    expect(card.browsersOf(mqlBefore.payload)).toEqual([]);
  });

  it('lead.merged is a line of its own, with the score before and after and how the browser was linked', () => {
    const lines = card.alertLines([merged, mqlBefore]);
    expect(lines.map((l) => l.types)).toEqual([['lead.merged'], ['lead.mql']]);
    expect(card.mergeText(lines[0]!.merge as LeadPayload['data']['merge'])).toBe('score 66 → 76 (claimed the email)');
    expect(card.mergeText({ browser: 'b', linkedBy: 'verified', verified: true, scoreBefore: 10.4, scoreAfter: 40.6 })).toBe('score 10 → 41 (verified)');
  });

  it('the card\'s browser count is the newest alert\'s that names the person', () => {
    const older = { ...merged, id: 'msg_0', receivedAt: 500, payload: { ...merged.payload, data: { ...merged.payload.data, person: { id: PERSON, browserCount: 3 } } } };
    expect(card.personOf({ alerts: [merged, mqlBefore, older] })).toEqual({ id: PERSON, browserCount: 2 });
    expect(card.personOf({ alerts: [mqlBefore] })).toBeNull();
  });
});

describe('links refused, in the funnel view', () => {
  it('say nothing was refused, or why each kind was, in plain words', () => {
    expect(person.identityLines({ blocked: 0, dailyLimit: 0, badToken: 0, conflict: 0 })).toEqual(['No link between browsers was refused.']);
    expect(person.identityLines({ blocked: 1, dailyLimit: 3, badToken: 0, conflict: 2 })).toEqual([
      '1 identify named a placeholder (blocked value), not linked.',
      "3 browsers over an identifier's daily link limit (identity.linksPerDay), not linked.",
      '2 identifiers owned by a lead with another userId, not merged.',
    ]);
    expect(person.identityLines({ badToken: 1 })).toEqual(['1 email link token was bad or expired, ignored.']);
  });
});
