/**
 * People through the real Worker, on generated histories: browsers send random events in random
 * order, with and without the SDK's person hint, and identify with one email at random moments.
 * The person scores what one visitor with every event would (caps on the sum); a split gives each
 * side exactly its own. (test/unit/people.test.ts checks the same arithmetic with decay, in pure code.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeBatch, makeEvent, uid } from '../helpers/factories';
import { api, collect } from './helpers';

const ORIGIN = { origin: 'https://acme.example' };
const RULES = [
  { id: 'pages', type: 'page_view', points: 3, maxPoints: 20 },
  { id: 'ebook', type: 'download', points: 25 },
  { id: 'webinar', type: 'webinar_signup', points: 20, maxPoints: 30 },
] as const;
type Kind = (typeof RULES)[number]['type'];

/** What one visitor with these events scores (no decay, no cooldowns: caps apply to the total). */
const expected = (events: Kind[]) => RULES.reduce((sum, r) => sum + Math.min(r.points * events.filter((e) => e === r.type).length, 'maxPoints' in r ? r.maxPoints : Infinity), 0);

async function site() {
  const key = uid('ppl').toLowerCase();
  const res = await api(`/v1/admin/sites/${key}`, {
    method: 'PUT',
    json: {
      allowedOrigins: ['*'],
      rateLimits: { visitorBurst: 10_000, visitorPerSecond: 1_000 },
      scoring: { halfLifeDays: 0, behavior: RULES.map((r) => ({ id: r.id, when: { type: r.type }, points: r.points, ...('maxPoints' in r ? { maxPoints: r.maxPoints } : {}) })) },
      stages: { mql: { score: 500 }, sql: { score: 1000 } },
    },
  });
  expect(res.status).toBe(201);
  return key;
}

const step = fc.record({ browser: fc.integer({ min: 0, max: 2 }), kinds: fc.array(fc.constantFrom<Kind>('page_view', 'download', 'webinar_signup'), { minLength: 1, maxLength: 4 }), identify: fc.boolean(), hint: fc.boolean() });

describe('people on generated histories, through the Worker', () => {
  it('the person scores all its browsers\' events together; a split gives each side exactly its own', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 10 }), async (steps) => {
        const key = await site();
        const email = `${uid('p')}@acme.io`;
        const browsers = [uid('b0'), uid('b1'), uid('b2')];
        const sent: Kind[][] = [[], [], []];
        const identified = new Set<number>();
        const hints: (string | undefined)[] = [];
        for (const s of steps) {
          const events = s.kinds.map((type) => makeEvent({ type, url: 'https://acme.example/p' }));
          if (s.identify) events.push(makeEvent({ type: 'identify', traits: { email } } as never));
          const hint = s.hint ? hints[s.browser] : undefined;
          const res = await collect(makeBatch(events, { site: key, anonymousId: browsers[s.browser], ...(hint ? { person: hint } : {}) }), ORIGIN);
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          hints[s.browser] = res.body.person;
          sent[s.browser]!.push(...s.kinds);
          if (s.identify) identified.add(s.browser);
        }
        const lead = (await api(`/v1/admin/sites/${key}/people?email=${encodeURIComponent(email)}`)).body;
        if (identified.size === 0) return;
        const members = [...identified];
        expect(lead.score.total).toBe(expected(members.flatMap((b) => sent[b]!)));
        if (members.length < 2) return;
        const leaving = members[0]!;
        const split = await api(`/v1/admin/sites/${key}/people/${lead.personId}/split`, { method: 'POST', json: { anonymousId: browsers[leaving] } });
        expect(split.status, JSON.stringify(split.body)).toBe(200);
        expect(split.body.score).toEqual({ person: expected(members.slice(1).flatMap((b) => sent[b]!)), browser: expected(sent[leaving]!) });
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
