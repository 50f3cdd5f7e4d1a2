import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG } from '../../worker/config/demo-config';
import { maskDocument, maskSecret, unmaskDocument } from '../../worker/config/secrets';
import { resolveConfig } from '../../worker/schema/config';

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
