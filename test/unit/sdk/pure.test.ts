/** The SDK's pure rules, in Node: no DOM needed. */
import { describe, expect, it } from 'vitest';
import { backoff, classify, retryAfterMs } from '../../../sdk/src/backoff';
import { bounded, toBatches, type Item } from '../../../sdk/src/batch';
import { configFromAttributes, DEFAULT_DOWNLOAD_EXTENSIONS, resolveConfig } from '../../../sdk/src/config';
import { pageFields, trackKind } from '../../../sdk/src/events';
import { traitFor } from '../../../sdk/src/form-fields';
import { privacyBlocked } from '../../../sdk/src/privacy';
import { cleanEventName, cleanProps, cleanTopics, cleanTraits, cleanUserId } from '../../../sdk/src/sanitize';
import { SESSION_MS, touchSession } from '../../../sdk/src/session';
import { filterParams, isDownload, keepParams, routeKey, safeHref } from '../../../sdk/src/urls';

let n = 0;
const makeItem = (over: Partial<Item> = {}, props?: Record<string, string>): Item => ({
  a: 'aid-1',
  s: 'sid-1',
  e: { id: `e-${n++}`, ts: 1, type: 'page_view', path: '/', props },
  ...over,
});

describe('backoff', () => {
  it('retries 408, 429, 5xx and network errors; drops other 4xx', () => {
    expect([200, 204, 408, 429, 500, 503, 0, 400, 403, 404, 413].map(classify)).toEqual([
      'ok', 'ok', 'retry', 'retry', 'retry', 'retry', 'retry', 'drop', 'drop', 'drop', 'drop',
    ]);
  });
  it('doubles from 1 s up to 60 s, with jitter between half and all of it', () => {
    expect([0, 1, 2, 10].map((a) => backoff(a, () => 1))).toEqual([1000, 2000, 4000, 60_000]);
    expect(backoff(3, () => 0)).toBe(4000);
    for (let i = 0; i < 100; i++) expect(backoff(2)).toBeGreaterThanOrEqual(2000);
  });
  it('honours Retry-After in seconds or as a date, capped at 10 minutes', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(5000).toUTCString(), 0)).toBe(5000);
    expect(retryAfterMs('99999', 0)).toBe(600_000);
    expect([null, '', 'soon', '-5'].map((h) => retryAfterMs(h, 0))).toEqual([0, 0, 0, 0]);
  });
});

describe('batches', () => {
  it('a batch never mixes visitors or sessions, and holds at most 50 events', () => {
    const items = [...Array.from({ length: 60 }, () => makeItem()), makeItem({ s: 'sid-2' }), makeItem({ a: 'aid-2' })];
    const batches = toBatches(items, 'demo', {}, 7);
    expect(batches.map((b) => b.items.length)).toEqual([50, 10, 1, 1]);
    const last = JSON.parse(batches[3]!.body);
    expect(last).toMatchObject({ site: 'demo', anonymousId: 'aid-2', sessionId: 'sid-1', sentAt: 7 });
  });
  it('each body stays under the 64 KiB beacon quota', () => {
    const big = { text: 'x'.repeat(500) };
    const items = Array.from({ length: 50 }, () => makeItem({}, { ...big, b: big.text, c: big.text, d: big.text, e: big.text, f: big.text }));
    const batches = toBatches(items, 'demo', { userAgent: 'u'.repeat(512) }, 1);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(new Blob([b.body]).size).toBeLessThanOrEqual(64 * 1024);
  });
  it('events that failed fewer times go first, in their own batches, so a batch that keeps failing never holds back new events', () => {
    const old = [makeItem({ n: 3 }), makeItem({ n: 3 })];
    const fresh = [makeItem(), makeItem()];
    const retried = makeItem({ n: 1 });
    const batches = toBatches([...old, fresh[0]!, retried, fresh[1]!], 'demo', {}, 1);
    expect(batches.map((b) => b.items)).toEqual([fresh, [retried], old]);
  });
  it('the person hint comes right after anonymousId, and only in batches of the anonymous id it belongs to', () => {
    const person = 'p~' + '0123456789abcdef'.repeat(2);
    const items = [makeItem({ a: 'aid-old' }), makeItem({ a: 'aid-new' }), makeItem({ a: 'aid-new' })];
    const [old, current] = toBatches(items, 'demo', {}, 7, (aid) => (aid === 'aid-new' ? person : undefined));
    expect(current!.body.startsWith(`{"site":"demo","anonymousId":"aid-new","person":"${person}","sessionId":"sid-1",`)).toBe(true);
    expect(JSON.parse(current!.body).events).toHaveLength(2);
    expect(old!.body.startsWith('{"site":"demo","anonymousId":"aid-old","sessionId":"sid-1",')).toBe(true);
    expect(old!.body).not.toContain('"person"');
  });
  it('an event carrying a link token starts its own batch, which sends the token as linkToken; other batches carry none', () => {
    const before = makeItem();
    const landing = makeItem({ t: 'abc.def' });
    const after = makeItem();
    const batches = toBatches([before, landing, after], 'demo', {}, 1);
    expect(batches.map((b) => b.items)).toEqual([[before], [landing, after]]);
    expect(JSON.parse(batches[1]!.body)).toMatchObject({ anonymousId: 'aid-1', sessionId: 'sid-1', linkToken: 'abc.def' });
    expect(batches[0]!.body).not.toContain('linkToken');
  });
  it('the queue keeps the newest events past its bound', () => {
    expect(bounded([1, 2, 3, 4], 2)).toEqual([3, 4]);
    expect(bounded([1], 2)).toEqual([1]);
  });
});

describe('config', () => {
  it('fills defaults and trims the endpoint', () => {
    const c = resolveConfig({ site: 'demo', endpoint: 'https://le.example.com/' });
    expect(c).toMatchObject({ site: 'demo', endpoint: 'https://le.example.com', respectDnt: true, respectGpc: true, autoPageViews: true });
    expect(c.downloadExtensions).toBe(DEFAULT_DOWNLOAD_EXTENSIONS);
    expect(c.consent).toBeUndefined();
  });
  it('reads script-tag attributes: flags, "false", lists, and the script origin as endpoint', () => {
    const c = configFromAttributes(
      { site: 'demo', debug: '', consent: 'required', respectDnt: 'false', hideUntilDecided: 'true', downloadExtensions: 'PDF, .key zip' },
      'https://le.example.com/sdk.js?v=2',
    );
    expect(c).toEqual({
      site: 'demo',
      endpoint: 'https://le.example.com',
      debug: true,
      consent: 'required',
      respectDnt: false,
      hideUntilDecided: true,
      downloadExtensions: ['pdf', 'key', 'zip'],
    });
    expect(configFromAttributes({ site: 'demo', endpoint: 'https://other.example' }, 'https://le.example.com/sdk.js').endpoint).toBe('https://other.example');
  });
  it('data-keep-params is a comma-separated list (case kept); data-query-page-views a flag; an empty list is never `true`', () => {
    const c = configFromAttributes({ site: 'demo', keepParams: 'ref, planId,q', queryPageViews: '' }, '');
    expect(c).toMatchObject({ keepParams: ['ref', 'planId', 'q'], queryPageViews: true });
    expect(resolveConfig({ site: 'demo' })).toMatchObject({ keepParams: [] });
    expect(configFromAttributes({ site: 'demo', keepParams: '', downloadExtensions: '' }, '')).toMatchObject({ keepParams: [''], downloadExtensions: [''] });
  });
});

describe('privacy', () => {
  const on = { respectGpc: true, respectDnt: true };
  it('GPC and DNT block by default; each can be turned off', () => {
    expect(privacyBlocked(true, null, on)).toBe('gpc');
    expect(privacyBlocked(undefined, '1', on)).toBe('dnt');
    expect(privacyBlocked(false, '0', on)).toBe('');
    expect(privacyBlocked(true, '1', { respectGpc: false, respectDnt: false })).toBe('');
  });
});

describe('events', () => {
  it('track(name): known types keep their type, other names become custom track events', () => {
    expect(trackKind('download')).toEqual({ type: 'download' });
    expect(trackKind('demo_request')).toEqual({ type: 'demo_request' });
    expect(trackKind('cta_click', { ctaId: 'hero-1' })).toEqual({ type: 'cta_click', ctaId: 'hero-1' });
    expect(trackKind('cta_click')).toBeNull();
    expect(trackKind('identify')).toBeNull(); // the Worker refuses built-in types as custom names
    expect(trackKind('pricing_calculator')).toEqual({ type: 'track', name: 'pricing_calculator' });
    expect([trackKind('1bad'), trackKind('constructor'), trackKind('has space'), trackKind(42)]).toEqual([null, null, null, null]);
  });
  it('a demo request carries its Turnstile token (1-2048 chars) as its own field', () => {
    expect(trackKind('demo_request', { turnstile: 'tok-1', plan: 'pro' })).toEqual({ type: 'demo_request', turnstile: 'tok-1' });
    expect(trackKind('demo_request', { turnstile: 'x'.repeat(2049) })).toEqual({ type: 'demo_request' });
    expect(trackKind('demo_request', { turnstile: '' })).toEqual({ type: 'demo_request' });
    expect(trackKind('demo_request', { turnstile: 5 })).toEqual({ type: 'demo_request' });
    expect(trackKind('download', { turnstile: 'tok-1' })).toEqual({ type: 'download' });
  });
  it('page fields: http(s) URLs only, cut to the limits', () => {
    expect(pageFields('https://a.io/p?q=1#x', 'Pricing', 'https://google.com/', ['q'])).toEqual({
      url: 'https://a.io/p?q=1#x',
      path: '/p',
      title: 'Pricing',
      referrer: 'https://google.com/',
    });
    const local = pageFields('file:///tmp/x.html', '', '');
    expect(local).toEqual({ url: undefined, path: '/tmp/x.html', title: undefined, referrer: undefined });
    expect(pageFields(`https://a.io/?utm_term=${'x'.repeat(3000)}`, 't'.repeat(400), '').url).toHaveLength(2048);
  });
  it('page URL and referrer keep only utm_* and the listed query parameters', () => {
    const f = pageFields('https://a.io/thanks?email=ana%40acme.io&token=s3cr3t&utm_source=news&plan=pro#top', '', 'https://a.io/reset?token=abc&utm_medium=mail', ['plan']);
    expect(f.url).toBe('https://a.io/thanks?utm_source=news&plan=pro#top');
    expect(f.referrer).toBe('https://a.io/reset?utm_medium=mail');
  });
});

describe('sanitize', () => {
  it('props keep scalars and arrays of scalars under the limits, never reserved keys', () => {
    const props = cleanProps({ plan: 'pro', seats: 5, ok: true, none: null, list: [1, 'a', { x: 1 }], nested: { a: 1 }, nan: NaN, long: 'x'.repeat(600), ['__proto__']: 1 });
    expect(props).toEqual({ plan: 'pro', seats: 5, ok: true, none: null, list: [1, 'a'], long: 'x'.repeat(500) });
    expect(Object.keys(cleanProps(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])))!)).toHaveLength(25);
    expect(cleanProps('a string')).toBeUndefined();
  });
  it('traits are trimmed to their limits; an email the Worker would refuse is left out', () => {
    expect(cleanTraits({ email: ' ana@acme.io ', company: ' Acme ', companySize: '120', unknown: 'x', title: 5 })).toEqual({ email: 'ana@acme.io', company: 'Acme', companySize: 120 });
    expect(cleanTraits({ email: 'not an email', companySize: '51-200' })).toEqual({ companySize: '51-200' });
    expect(cleanTraits({ custom: { plan: 'pro', deep: { a: 1 } } })).toEqual({ custom: { plan: 'pro' } });
  });
  it('topics are lower-cased, unique, at most 10', () => {
    expect(cleanTopics(['Analytics, Pipeline', null, 'analytics', ' '])).toEqual(['analytics', 'pipeline']);
    expect(cleanTopics([Array.from({ length: 15 }, (_, i) => `t${i}`).join(',')])).toHaveLength(10);
    expect(cleanTopics(['prototype'])).toEqual([]);
  });
  it('a userId is trimmed and 1-256 chars; a longer one is left out, never cut', () => {
    expect(cleanUserId('  u-42 ')).toBe('u-42');
    expect(cleanUserId('x'.repeat(256))).toHaveLength(256);
    expect([cleanUserId('x'.repeat(257)), cleanUserId('   '), cleanUserId(''), cleanUserId(42), cleanUserId(undefined)]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
  it('custom event names follow the Worker pattern', () => {
    expect(cleanEventName('signup.step-2:done')).toBe('signup.step-2:done');
    expect(cleanEventName('x'.repeat(65))).toBe('');
  });
});

describe('sessions', () => {
  it('a session lasts while events come within 30 minutes', () => {
    const next = () => 'new';
    expect(touchSession({ id: 's1', at: 0 }, SESSION_MS - 1, next)).toEqual({ id: 's1', at: SESSION_MS - 1 });
    expect(touchSession({ id: 's1', at: 0 }, SESSION_MS, next)).toEqual({ id: 'new', at: SESSION_MS });
    expect(touchSession(null, 5, next)).toEqual({ id: 'new', at: 5 });
    expect(touchSession({ id: 'bad id!', at: 0 }, 5, next).id).toBe('new');
  });
});

describe('urls', () => {
  it('CTA links resolve against the page and must be http(s)', () => {
    expect(safeHref('/pricing', 'https://a.io/blog/x')).toBe('https://a.io/pricing');
    expect(safeHref('https://b.io/x', 'https://a.io/')).toBe('https://b.io/x');
    expect([safeHref('javascript:alert(1)', 'https://a.io/'), safeHref('data:text/html,x', 'https://a.io/'), safeHref(undefined, 'https://a.io/'), safeHref('', 'https://a.io/')]).toEqual(['', '', '', '']);
  });
  it('a route is the path (and the query only with queryPageViews), plus the hash only for hash routers', () => {
    expect(routeKey('https://a.io/docs?v=2#intro')).toBe('/docs');
    expect(routeKey('https://a.io/docs?utm_source=x')).toBe(routeKey('https://a.io/docs'));
    expect(routeKey('https://a.io/docs?v=2#intro', true)).toBe('/docs?v=2');
    expect(routeKey('https://a.io/app#/settings')).toBe('/app#/settings');
    expect(routeKey('https://a.io/app#!/x')).toBe('/app#!/x');
  });
  it('query parameters: utm_* and the listed ones stay, as written; the rest go, and "?" with them', () => {
    expect(keepParams('https://a.io/p?email=a%40b.io&utm_source=x&ref=2', ['ref'])).toBe('https://a.io/p?utm_source=x&ref=2');
    expect(keepParams('https://a.io/p?token=1&sid=2#/x?token=3', [])).toBe('https://a.io/p#/x?token=3');
    expect(keepParams('https://a.io/p?q=a+b%20c&q=d&bad=%E0%A4%A', ['q'])).toBe('https://a.io/p?q=a+b%20c&q=d');
    expect(keepParams('https://a.io/p?my+key=1&my%20key=2&flag&=x', ['my key', 'flag'])).toBe('https://a.io/p?my+key=1&my%20key=2&flag');
    expect(keepParams('https://a.io/p?UTM_SOURCE=x&utm_=y', [])).toBe('https://a.io/p?utm_=y');
    expect(keepParams('https://a.io/p?', [])).toBe('https://a.io/p');
  });
  it('a link token parameter leaves the URL; every other parameter stays as written, and the hash', () => {
    const noToken = (href: string) => filterParams(href, (name) => name !== 'le_t');
    expect(noToken('https://a.io/?utm_source=x&le_t=abc.def#frag')).toBe('https://a.io/?utm_source=x#frag');
    expect(noToken('https://a.io/p?le_t=abc&q=a+b%20c&flag&le_t=again')).toBe('https://a.io/p?q=a+b%20c&flag');
    expect(noToken('https://a.io/p?le%5Ft=abc#/route?x=1')).toBe('https://a.io/p#/route?x=1');
  });
  it('downloads are http(s) links to listed extensions, any case, ignoring the query', () => {
    expect(isDownload('https://a.io/files/Report.PDF?v=1', ['pdf'])).toBe(true);
    expect(isDownload('https://a.io/pdf', ['pdf'])).toBe(false);
    expect(isDownload('https://a.io/x.html', DEFAULT_DOWNLOAD_EXTENSIONS)).toBe(false);
    expect(isDownload('ftp://a.io/x.pdf', ['pdf'])).toBe(false);
  });
});

describe('form fields', () => {
  it('maps names, autocomplete tokens and data-le-trait to traits', () => {
    expect(traitFor('work_email', 'email', '', null)).toBe('email');
    expect(traitFor('f', 'text', 'given-name', null)).toBe('firstName');
    expect(traitFor('fullName', 'text', '', null)).toBe('name');
    expect(traitFor('org', 'text', '', null)).toBe('company');
    expect(traitFor('x', 'text', 'organization-title', null)).toBe('title');
    expect(traitFor('q7', 'text', '', 'company')).toBe('company');
    expect(traitFor('notes', 'text', '', null)).toBe('');
  });
  it('never reads passwords, payment, hidden or login fields', () => {
    expect(traitFor('password', 'password', '', null)).toBe('');
    expect(traitFor('name', 'hidden', '', null)).toBe('');
    expect(traitFor('card_name', 'text', '', null)).toBe('');
    expect(traitFor('n', 'text', 'cc-name', null)).toBe('');
    expect(traitFor('email', 'text', 'current-password', null)).toBe('');
    expect(traitFor('username', 'text', 'username', null)).toBe('');
  });
});
