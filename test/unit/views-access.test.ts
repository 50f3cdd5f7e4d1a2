/**
 * The views' access logic (demo-site/admin/access.js, api.js) against the Worker's: a key's site
 * is read the same way, every page asks for routes the server's table really has, and each role
 * gets the pages the issue names when `me` is built as GET …/me builds it.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { keySite as workerKeySite, newKey } from '../../worker/access/keys';
import { allows, ROUTE_ACCESS, type PrincipalRole } from '../../worker/access/roles';

type Me = { role: string; routes: { method: string; path: string }[] };
type Page = { label: string; needs: [string, string][] };
let views: {
  keySite(credential: string): string | null;
  DEV_KEYS: unknown[];
  DEV_TOKEN: string;
  PAGES: Record<string, Page>;
  mayOpen(me: Me, page: Page): boolean;
  may(me: Me, method: string, path: string): boolean;
};

beforeAll(async () => {
  // The modules read the page's address when loaded: a deployed instance, not localhost.
  (globalThis as unknown as { location: unknown }).location = { hostname: 'leads.example.com', search: '' };
  // @ts-expect-error plain ES module of the marketer view, without types
  const api = await import('../../demo-site/admin/api.js');
  // @ts-expect-error plain ES module of the marketer view, without types
  const access = await import('../../demo-site/admin/access.js');
  views = { ...api, ...access };
});

/** What GET /v1/admin/sites/:site/me answers for a role (worker/routes/admin-keys.ts). */
const meOf = (role: PrincipalRole): Me => ({ role, routes: ROUTE_ACCESS.filter((r) => allows(r, role) && r.path.includes(':site')).map((r) => ({ method: r.method, path: r.path })) });

describe('views: keys and roles', () => {
  it('reads the site out of a key exactly as the Worker does', () => {
    const site = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,62}$/);
    fc.assert(fc.property(site, (s) => views.keySite(newKey(s).key) === s));
    const anything = fc.oneof(fc.string(), site.map((s) => `le_${s}_${'a'.repeat(64)}`), fc.tuple(site, fc.stringMatching(/^[0-9a-fA-F_]{60,70}$/)).map(([s, x]) => `le_${s}_${x}`));
    fc.assert(fc.property(anything, (text) => views.keySite(text) === workerKeySite(text)));
    expect(views.keySite('leadedge-local-dev-admin-token-0000')).toBeNull();
  });

  it('asks only for routes the server has, so no page is hidden by a typo', () => {
    for (const [name, page] of Object.entries(views.PAGES)) {
      for (const [method, path] of page.needs) {
        expect(ROUTE_ACCESS.some((r) => r.method === method && r.path === `/v1/admin/sites/:site${path}`), `${name}: ${method} ${path}`).toBe(true);
      }
    }
  });

  it('opens Leads, the lead page and the inbox to sales; everything but Keys to a marketer; everything to the owner and the instance token', () => {
    const pages = (role: PrincipalRole) => Object.keys(views.PAGES).filter((p) => views.mayOpen(meOf(role), views.PAGES[p]!));
    expect(pages('sales')).toEqual(['leads', 'visitor', 'inbox']);
    expect(pages('marketer')).toEqual(['leads', 'visitor', 'funnel', 'config', 'calibration', 'audit', 'inbox']);
    expect(pages('owner')).toEqual(Object.keys(views.PAGES));
    expect(pages('admin')).toEqual(Object.keys(views.PAGES));
    expect(pages('server')).toEqual([]);
    // The lead page's buttons: verdicts for sales, export for marketers, erase for the owner only.
    const buttons = (role: PrincipalRole) => [['POST', '/visitors/:aid/verdict'], ['GET', '/visitors/:aid/export'], ['DELETE', '/visitors/:aid']].filter(([m, p]) => views.may(meOf(role), m!, p!)).map(([, p]) => p);
    expect(buttons('sales')).toEqual(['/visitors/:aid/verdict']);
    expect(buttons('marketer')).toEqual(['/visitors/:aid/export']);
    expect(buttons('owner')).toEqual(['/visitors/:aid/verdict', '/visitors/:aid/export', '/visitors/:aid']);
  });

  it('offers no demo credentials off localhost', () => {
    expect(views.DEV_KEYS).toEqual([]);
    expect(views.DEV_TOKEN).toBe('');
  });
});
