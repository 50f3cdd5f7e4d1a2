/** The admin API for marketing and sales: the leads index, the funnel, and sales' verdicts. */
import { Hono } from 'hono';
import { z } from 'zod';
import { siteStub } from '../config/config-cache';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { parseWith, readJsonBody } from '../http/read-json';
import { DIRECTORY_SHARDS, directoryStub } from '../objects/directory-object';
import { FUNNEL_STAGES, type FunnelStage } from '../objects/funnel-store';
import { StageSchema } from '../schema/config';
import { VerdictInputSchema } from '../visitor/verdict';
import { requireSite } from './collect';
import { leadStub } from './stubs';
import { pathParams, SiteParam, VisitorParam } from './params';
import { DAY_MS, isoDay } from '../time';

export const adminLeadRoutes = new Hono<AppEnv>();

const MAX_FUNNEL_DAYS = 366;
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(d)), 'not a real date');

export const LeadsQuerySchema = z.object({
  stage: StageSchema.optional(),
  sort: z.enum(['score', 'lastSeen']).default('score'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().regex(/^\d{1,7}$/, 'a cursor from a previous page').optional(),
});

adminLeadRoutes.get('/v1/admin/sites/:site/visitors', async (c) => {
  const { site } = pathParams(SiteParam, c.req.param());
  const q = parseWith(LeadsQuerySchema, c.req.query(), 'invalid_query', 'invalid query');
  await requireSite(c.env, site);
  const offset = Number(q.cursor ?? 0);
  const { leads, total, evicted } = await siteStub(c.env, site).leads({ stage: q.stage, sort: q.sort, limit: q.limit, offset });
  const next = offset + leads.length;
  return c.json({
    site,
    visitors: leads.map((l) => ({ ...l, lastSeen: new Date(l.lastSeen).toISOString(), stageSince: new Date(l.stageSince).toISOString() })),
    nextCursor: next < total ? String(next) : null,
    total,
    /** Leads dropped from the full index so far (the weakest early-stage ones; never SQL, SAL or a recent verdict). */
    evicted,
  });
});

export const FunnelQuerySchema = z.object({ from: Day.optional(), to: Day.optional() });

adminLeadRoutes.get('/v1/admin/sites/:site/funnel', async (c) => {
  const { site } = pathParams(SiteParam, c.req.param());
  const q = parseWith(FunnelQuerySchema, c.req.query(), 'invalid_query', 'invalid query');
  await requireSite(c.env, site);
  const to = q.to ?? isoDay(Date.now());
  const from = q.from ?? isoDay(Date.parse(to) - 29 * DAY_MS);
  const span = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (span < 1) throw new ApiError(400, 'invalid_query', `"from" (${from}) is after "to" (${to})`, [{ path: 'from', message: 'after "to"' }]);
  if (span > MAX_FUNNEL_DAYS) throw new ApiError(400, 'invalid_query', `at most ${MAX_FUNNEL_DAYS} days per request`, [{ path: 'from', message: 'range too long' }]);
  // First visits are counted by the directory shards, the rest by the site object: merged on read.
  const [{ rows, cohort }, ...shards] = await Promise.all([
    siteStub(c.env, site).funnel(from, to),
    ...Array.from({ length: DIRECTORY_SHARDS }, (_, i) => directoryStub(c.env, site, i).counts(from, to)),
  ]);
  const all = [...rows, ...shards.flat().map((r) => ({ day: r.day, stage: 'visitors' as const, count: r.n }))];
  const empty = () => Object.fromEntries(FUNNEL_STAGES.map((s) => [s, 0])) as Record<FunnelStage, number>;
  const days = Array.from({ length: span }, (_, i) => ({ day: isoDay(Date.parse(from) + i * DAY_MS), ...empty() }));
  const byDay = new Map(days.map((d) => [d.day, d]));
  const totals = empty();
  for (const r of all) {
    const d = byDay.get(r.day);
    if (d) d[r.stage] += r.count;
    totals[r.stage] += r.count;
  }
  // A cohort rate: of the leads that became MQL in the period, the share that has reached SQL since (never above 1).
  const mqlToSqlRate = cohort.mql > 0 ? Math.round((cohort.sql / cohort.mql) * 1000) / 1000 : null;
  return c.json({ site, from, to, days, totals, mqlToSqlRate, mqlCohort: { mql: cohort.mql, reachedSql: cohort.sql } });
});

adminLeadRoutes.post('/v1/admin/sites/:site/visitors/:aid/verdict', async (c) => {
  const { site, aid } = pathParams(VisitorParam, c.req.param());
  const input = parseWith(VerdictInputSchema, await readJsonBody(c, 4096), 'invalid_verdict', 'invalid verdict');
  const loaded = await requireSite(c.env, site);
  const result = await (await leadStub(c.env, site, aid)).verdict(input, loaded.version, { receivedAt: Date.now(), adminBaseUrl: new URL(c.req.url).origin });
  if (!result.ok) {
    throw result.status === 404
      ? new ApiError(404, 'unknown_visitor', `site "${site}" has no visitor "${aid}"`)
      : new ApiError(409, 'not_a_lead', result.message);
  }
  c.set('audit', { action: 'visitor.verdict', target: aid, detail: { verdict: input.verdict, ...(input.verdict === 'rejected' ? { action: input.action } : {}), stage: result.stage } });
  return c.json({ visitor: { id: aid, stage: result.stage }, verdict: result.verdict });
});

