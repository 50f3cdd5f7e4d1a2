import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG } from '../../worker/config/demo-config';
import { maskDocument, maskSecret, unmaskDocument } from '../../worker/config/secrets';
import { z } from 'zod';
import { resolveConfig, resolveStoredConfig, SiteConfigSchema } from '../../worker/schema/config';

describe('site config', () => {
  it('fills every documented default', () => {
    const r = resolveConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.scoring.halfLifeDays).toBe(30);
    expect(r.config.stages).toEqual({ mql: { score: 50, fit: 0 }, sql: { score: 120, fit: 0 } });
    expect(r.config.delivery.retryScheduleSeconds).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(r.config.exposeScore).toBe(false);
  });

  it('the embedded demo config is valid', () => {
    expect(resolveConfig(DEMO_CONFIG).ok).toBe(true);
  });

  it('reports every problem by path', () => {
    const r = resolveConfig({
      stages: { mql: { score: 100 }, sql: { score: 50 } },
      scoring: {
        behavior: [
          { id: 'a', points: 1 },
          { id: 'a', points: 'ten' },
        ],
        fit: [{ id: 'f', trait: 'shoeSize', match: {}, points: 1 }],
      },
      webhooks: [{ id: 'w', url: 'https://x.io', secret: 'whsec_c2hvcnQ=', events: ['lead.nope'] }],
      ctas: { 'Bad Slot': [] },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'scoring.behavior.1.points',
        'scoring.fit.0.trait',
        'scoring.fit.0.match',
        'webhooks.0.secret',
        'webhooks.0.events.0',
        'ctas.Bad Slot',
      ]),
    );
  });

  it('refuses duplicate rule ids and an SQL threshold below MQL', () => {
    const r = resolveConfig({
      stages: { mql: { score: 100 }, sql: { score: 50 } },
      scoring: { behavior: [{ id: 'a', points: 1 }, { id: 'a', points: 2 }] },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual(
      expect.arrayContaining([
        { path: 'scoring.behavior.1.id', message: 'duplicate id "a"' },
        expect.objectContaining({ path: 'stages.sql.score' }),
      ]),
    );
  });
});

describe('unknown keys', () => {
  const issuesOf = (doc: unknown) => {
    const r = resolveConfig(doc);
    if (r.ok) throw new Error('accepted');
    return r.issues;
  };

  it('are refused by full path, with the nearest known key', () => {
    expect(issuesOf({ scoring: { behaviour: [{ id: 'a', points: 1 }] } })).toEqual([{ path: 'scoring.behaviour', message: 'unknown key "behaviour"; did you mean "behavior"?' }]);
    expect(issuesOf({ retentionDay: 30 })).toEqual([{ path: 'retentionDay', message: 'unknown key "retentionDay"; did you mean "retentionDays"?' }]);
    expect(issuesOf({ scorng: { behavior: [] } })).toEqual([{ path: 'scorng', message: 'unknown key "scorng"; did you mean "scoring"?' }]);
    expect(issuesOf({ scoring: { behavior: [{ id: 'a', points: 1, when: { paht: '/x' } }] } })).toEqual([
      { path: 'scoring.behavior.0.when.paht', message: 'unknown key "paht"; did you mean "path"?' },
    ]);
    expect(issuesOf({ ctas: { hero: [{ id: 'a', text: 'x', when: { stage: ['mql'] } }] } })[0]).toEqual({ path: 'ctas.hero.0.when.stage', message: 'unknown key "stage"; did you mean "stages"?' });
    expect(issuesOf({ webhooks: [{ id: 'w', url: 'https://x.io/h', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['lead.sql'], enable: false }] })).toEqual([
      { path: 'webhooks.0.enable', message: 'unknown key "enable"; did you mean "enabled"?' },
    ]);
  });

  it('without a near key, list the keys that are known there', () => {
    expect(issuesOf({ stages: { mql: { score: 1, weight: 2 } } })).toEqual([{ path: 'stages.mql.weight', message: 'unknown key "weight"; known keys here: score, fit' }]);
  });

  it('are reported together with every other problem', () => {
    const paths = issuesOf({ exposeScore: 'yes', privacy: { honourGpc: true }, scoring: { halfLifeDays: -1, fit: [{ id: 'f', trait: 'title', match: { exists: true }, points: 1, weight: 1 }] } }).map((i) => i.path);
    expect(paths.sort()).toEqual(['exposeScore', 'privacy.honourGpc', 'scoring.fit.0.weight', 'scoring.halfLifeDays'].sort());
  });

  it('the GET envelope sent back is refused with a message that says to send its config object', () => {
    const envelope = { site: 'demo', version: 3, savedAt: '2026-01-01T00:00:00.000Z', note: null, config: DEMO_CONFIG };
    const issues = issuesOf(envelope);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'config' });
    expect(issues[0]!.message).toMatch(/send its "config" object as the body/);
  });

  it('records keyed by the user\'s own names stay open: CTA slots and prop names', () => {
    const r = resolveConfig({
      ctas: { 'pricing-banner': [{ id: 'a', text: 'x' }], footer_2: [{ id: 'b', text: 'y' }] },
      scoring: { behavior: [{ id: 'r', when: { props: { plan: 'pro', anyNameAtAll: 1 } }, points: 1 }] },
    });
    expect(r.ok).toBe(true);
  });

  it('every object of the published JSON Schema says so (additionalProperties: false), records excepted', () => {
    const open: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      if (n.type === 'object' && n.properties && n.additionalProperties !== false) open.push(path || '(root)');
      for (const [k, v] of Object.entries(n)) walk(v, `${path}/${k}`);
    };
    walk(z.toJSONSchema(SiteConfigSchema, { io: 'input', unrepresentable: 'any' }), '');
    expect(open).toEqual([]);
  });

  it('a document stored before they were refused still loads, without them', () => {
    const stored = { ...DEMO_CONFIG, retentionDay: 30, scoring: { ...DEMO_CONFIG.scoring, behaviour: [] } };
    expect(resolveConfig(stored).ok).toBe(false);
    const loaded = resolveStoredConfig(stored);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.document).toEqual(DEMO_CONFIG);
    expect(loaded.config).toEqual((resolveConfig(DEMO_CONFIG) as { config: unknown }).config);
    // Other problems are still problems.
    expect(resolveStoredConfig({ retentionDay: 30, retentionDays: 'x' }).ok).toBe(false);
  });
});

describe('reserved names', () => {
  it('are refused as rule, webhook and CTA ids, by path', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const r = resolveConfig({
      scoring: {
        behavior: [{ id: 'constructor', points: 1 }, { id: 'prototype', points: 1 }],
        fit: [{ id: 'constructor', trait: 'title', match: { exists: true }, points: 1 }],
      },
      webhooks: [{ id: 'constructor', url: 'https://x.io/h', secret, events: ['lead.sql'] }],
      ctas: { hero: [{ id: 'toString', text: 'x' }, { id: '__proto__', text: 'y' }, { id: 'hasOwnProperty', text: 'z' }, { id: 'fine', text: 'ok' }] },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path).sort()).toEqual(
      ['ctas.hero.0.id', 'ctas.hero.1.id', 'ctas.hero.2.id', 'scoring.behavior.0.id', 'scoring.behavior.1.id', 'scoring.fit.0.id', 'webhooks.0.id'].sort(),
    );
    expect(r.issues.find((i) => i.path === 'ctas.hero.0.id')?.message).toMatch(/"toString" is reserved/);
  });

  it('in a document stored before they were refused, still load (reads are own-property only)', () => {
    const stored = { scoring: { behavior: [{ id: 'constructor', points: 1 }] } };
    expect(resolveConfig(stored).ok).toBe(false);
    expect(resolveStoredConfig(stored).ok).toBe(true);
  });
});

describe('webhook secrets', () => {
  const doc = { webhooks: [{ id: 'w', url: 'https://x.io/h', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['lead.sql' as const] }] };

  it('are masked in what the admin API shows', () => {
    const masked = JSON.stringify(maskDocument(doc));
    expect(masked).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2La');
    expect(masked).toContain(maskSecret(doc.webhooks[0]!.secret));
  });

  it('survive a GET-edit-PUT round trip with the mask', () => {
    const edited = { ...maskDocument(doc), name: 'edited' };
    expect(unmaskDocument(edited, doc)).toEqual({ ...doc, name: 'edited' });
  });

  it('a mask for an unknown endpoint stays a mask (and fails validation)', () => {
    const edited = { webhooks: [{ ...maskDocument(doc).webhooks![0]!, id: 'other' }] };
    expect(resolveConfig(unmaskDocument(edited, doc)).ok).toBe(false);
  });
});
