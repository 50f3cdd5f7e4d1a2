/** GET /v1/openapi.json and /v1/config.schema.json, generated from the zod schemas (never by hand). */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Env } from '../env';
import { SiteConfigSchema } from '../schema/config';
import { BatchSchema } from '../schema/events';
import { CollectResponseSchema, DecisionSchema, ErrorSchema } from '../schema/responses';
import { VerdictInputSchema } from '../visitor/verdict';
import { FunnelQuerySchema, LeadsQuerySchema } from './admin-leads';
import { ImportBodySchema } from '../calibration/import-rows';
import { OutcomeInputSchema } from '../calibration/labels';
import { CalibrateOptionsSchema } from '../calibration/options';
import { ClearTrainingQuerySchema } from './admin-calibration';
import { AuditQuerySchema, KeyInputSchema } from './admin-keys';
import { LinkTokenInputSchema, PeopleQuerySchema, SplitInputSchema } from './admin-people';
import { ROUTE_ACCESS, SERVER_SIDE_ACCESS, rolesText, type RouteAccess } from '../access/roles';

const json = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });

/** Query parameters from an object schema, so the document cannot drift from the validation. */
function queryParams(schema: z.ZodObject) {
  const js = json(schema, 'input') as { properties?: Record<string, unknown> };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
}

let cached: Record<string, unknown> | null = null;

/** The OpenAPI 3.1 document (its JSON Schemas are draft 2020-12, as 3.1 expects). */
export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const body = (name: string) => ({ required: true, content: { 'application/json': { schema: ref(name) }, 'text/plain': { schema: ref(name) } } });
  const ok = (name: string, description = 'OK') => ({ description, content: { 'application/json': { schema: ref(name) } } });
  const errors = Object.fromEntries(
    [
      ['400', 'Invalid input: the error names every problem by path'],
      ['401', 'Missing, wrong or revoked credential (unauthorized), or a beacon or decision without an Origin and without a server key (server_key_required)'],
      ['403', 'A browser Origin not allowed for this site (origin_not_allowed), or a key whose site or role may not use this route (forbidden, naming the roles that may)'],
      ['404', 'Unknown site or visitor'],
      ['413', 'Body too large'],
      ['415', 'Unsupported content type'],
    ].map(([code, description]) => [code, { description, content: { 'application/json': { schema: ref('Error') } } }]),
  );
  const site = { name: 'site', in: 'path', required: true, schema: { type: 'string' } };
  const aid = { name: 'aid', in: 'path', required: true, schema: { type: 'string' } };
  const admin = [{ adminToken: [] }];
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'LeadEdge API',
      version: '1.0.0',
      description: 'Beacons in, scored visitors and CTA decisions out; admin API for site configs and visitor profiles.',
    },
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Batch: json(BatchSchema, 'input'),
        SiteConfig: json(SiteConfigSchema, 'input'),
        Decision: json(DecisionSchema, 'output'),
        CollectResponse: json(CollectResponseSchema, 'output'),
        Error: json(ErrorSchema, 'output'),
        Verdict: json(VerdictInputSchema, 'input'),
        Outcome: json(OutcomeInputSchema, 'input'),
        TrainingImport: json(ImportBodySchema, 'input'),
        CalibrateOptions: json(CalibrateOptionsSchema, 'input'),
        KeyInput: json(KeyInputSchema, 'input'),
        Split: json(SplitInputSchema, 'input'),
        LinkTokenInput: json(LinkTokenInputSchema, 'input'),
      },
    },
    paths: {
      '/v1/collect': {
        post: { summary: 'Send a batch of 1-50 events; get the decision back', requestBody: body('Batch'), responses: { '200': ok('CollectResponse'), ...errors } },
      },
      '/v1/decide': {
        get: {
          summary: 'The current decision for a visitor, without an event',
          parameters: [
            { name: 'site', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'aid', in: 'query', required: true, schema: { type: 'string' } },
          ],
          responses: { '200': ok('Decision'), ...errors },
        },
      },
      '/v1/admin/sites/{site}': {
        get: { summary: "A site's config (webhook secrets masked)", security: admin, parameters: [site], responses: { '200': { description: 'The current version' }, ...errors } },
        delete: { summary: 'Delete the site and everything it holds, in every object (the visitor objects are swept in the background; GET /v1/admin/sites shows progress)', security: admin, parameters: [site], responses: { '202': { description: '{ site, status: "deleting", startedAt }' }, ...errors } },
        put: { summary: "Replace a site's config (creates the site). A save that changes thresholds or scoring re-stages existing leads in the background: `?restage=quiet` (default, no webhooks), `alert` (webhooks as usual) or `none`", security: admin, parameters: [site, { name: 'restage', in: 'query', required: false, schema: { type: 'string', enum: ['alert', 'quiet', 'none'] } }, { name: 'If-Match', in: 'header', required: false, description: 'The version from GET\'s ETag ("7"), or *: the save is refused (409 version_conflict) unless that version is still current', schema: { type: 'string' } }], requestBody: { required: true, content: { 'application/json': { schema: ref('SiteConfig') } } }, responses: { '200': { description: 'Saved as a new version' }, '201': { description: 'Site created' }, '409': { description: 'version_conflict (If-Match names an older version) or site_deleting' }, ...errors } },
      },
      '/v1/admin/sites/{site}/config/versions': {
        get: { summary: 'Saved config versions, newest first', security: admin, parameters: [site], responses: { '200': { description: 'Versions' }, ...errors } },
      },
      '/v1/admin/sites/{site}/config/versions/{version}/restore': {
        post: { summary: 'Make an old version current again (saved as a new version)', security: admin, parameters: [site, { name: 'version', in: 'path', required: true, schema: { type: 'integer' } }], responses: { '200': { description: 'Restored' }, ...errors } },
      },
      '/v1/admin/sites/{site}/visitors/{aid}': {
        get: { summary: 'Profile: traits, stage history, score with breakdown, timeline', security: admin, parameters: [site, aid], responses: { '200': { description: 'The profile' }, ...errors } },
        delete: { summary: 'Erase everything about the visitor', security: admin, parameters: [site, aid], responses: { '200': { description: 'Erased' }, ...errors } },
      },
      '/v1/admin/sites/{site}/visitors/{aid}/export': {
        get: { summary: 'Everything stored about a visitor (GDPR access request), as a JSON attachment', security: admin, parameters: [site, aid], responses: { '200': { description: 'The export' }, ...errors } },
      },
      '/v1/admin/sites/{site}/visitors/{aid}/deliveries': {
        get: { summary: "Webhook deliveries caused by the visitor, with every attempt", security: admin, parameters: [site, aid], responses: { '200': { description: 'Delivery log' }, ...errors } },
      },
      '/v1/admin/sites/{site}/visitors/{aid}/deliveries/{id}/redeliver': {
        post: { summary: 'Send a finished delivery again (same webhook-id)', security: admin, parameters: [site, aid, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '202': { description: 'Queued' }, ...errors } },
      },
      '/v1/admin/sites/{site}/visitors': {
        get: {
          summary: 'The leads index (known visitors and beyond): filter by stage, sort by score or last seen, page with a cursor',
          security: admin,
          parameters: [site, ...queryParams(LeadsQuerySchema)],
          responses: { '200': { description: '{ site, visitors, nextCursor, total }' }, ...errors },
        },
      },
      '/v1/admin/sites/{site}/funnel': {
        get: {
          summary: 'Visitors, known, MQL, SQL, SAL, disqualified and recycled per day, totals and the MQL-to-SQL rate',
          security: admin,
          parameters: [site, ...queryParams(FunnelQuerySchema)],
          responses: { '200': { description: '{ site, from, to, days, totals, mqlToSqlRate }' }, ...errors },
        },
      },
      '/v1/admin/sites/{site}/visitors/{aid}/verdict': {
        post: {
          summary: "Sales' verdict: accept (sal), or reject with a reason and disqualify or recycle (back to mql)",
          security: admin,
          parameters: [site, aid],
          requestBody: { required: true, content: { 'application/json': { schema: ref('Verdict') } } },
          responses: { '200': { description: '{ visitor: { id, stage }, verdict }' }, '409': { description: 'Not a lead (anonymous)' }, ...errors },
        },
      },
      ...calibrationPaths({ site, aid, admin, errors, ref, queryParams }),
      ...peoplePaths({ site, admin, errors, ref, queryParams }),
      '/v1/admin/sites': {
        get: { summary: 'Every site of the instance, with its status (a deleted site is listed as `deleting` until every object is empty)', security: admin, responses: { '200': { description: '{ sites: [{ site, status, createdAt, updatedAt, deletion? }] }' }, ...errors } },
      },
      '/v1/admin/sites/{site}/keys': {
        get: { summary: "The site's keys (never the keys themselves)", security: admin, parameters: [site], responses: { '200': { description: '{ site, keys: [{ id, role, label, repId?, createdAt, lastUsedAt }] }' }, ...errors } },
        post: { summary: 'Create a key with one role; the key is shown once (only its SHA-256 is stored)', security: admin, parameters: [site], requestBody: { required: true, content: { 'application/json': { schema: ref('KeyInput') } } }, responses: { '201': { description: '{ id, key, role, label, repId?, createdAt }' }, '409': { description: 'too_many_keys' }, ...errors } },
      },
      '/v1/admin/sites/{site}/keys/{id}': {
        delete: { summary: 'Revoke a key at once', security: admin, parameters: [site, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: '{ site, id, revoked: true }' }, ...errors } },
      },
      '/v1/admin/sites/{site}/config/preview': {
        post: { summary: 'What saving this config would do to existing leads (nothing is saved): how many leads the new thresholds move to each stage, estimated from the leads index', security: admin, parameters: [site], requestBody: { required: true, content: { 'application/json': { schema: ref('SiteConfig') } } }, responses: { '200': { description: '{ site, basedOnVersion, changesStaging, leads, moves: [{ from, to, leads }], indexed, basis }' }, ...errors } },
      },
      '/v1/admin/sites/{site}/restage': {
        get: { summary: 'The re-staging pass the last threshold or scoring change started (PUT ?restage=alert|quiet|none): progress and leads moved', security: admin, parameters: [site], responses: { '200': { description: '{ site, restage: { version, alert, status, processed, moved, total, startedAt, updatedAt } | null }' }, ...errors } },
      },
      '/v1/admin/sites/{site}/me': {
        get: { summary: 'Who the caller is on this site (role, key id, rep id) and the routes its role may use', security: admin, parameters: [site], responses: { '200': { description: '{ site, role, keyId, repId?, routes: [{ method, path }] }' }, ...errors } },
      },
      '/v1/admin/sites/{site}/audit': {
        get: { summary: 'Every change made with a key, newest first (time, key id, role, what changed); page with `cursor`', security: admin, parameters: [site, ...queryParams(AuditQuerySchema)], responses: { '200': { description: '{ site, entries, nextCursor }' }, ...errors } },
      },
      '/sdk.js': { get: { summary: 'The browser SDK (IIFE)', responses: { '200': { description: 'JavaScript' }, '304': { description: 'Not modified' } } } },
    },
  };
  withRoles(cached.paths as Paths, ROUTE_ACCESS, 'admin');
  withRoles(cached.paths as Paths, SERVER_SIDE_ACCESS, 'server-side (no Origin)');
  return cached;
}

type Paths = Record<string, Record<string, Record<string, unknown>>>;

/** States each route's roles (worker/access/roles.ts) in the document: `x-roles`, and a sentence in the description. */
function withRoles(paths: Paths, table: readonly RouteAccess[], kind: string) {
  for (const route of table) {
    const op = paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
    if (!op) throw new Error(`openapi.json lacks ${route.method} ${route.path}`);
    op['x-roles'] = ['admin', ...route.roles];
    const who = `Who (${kind}): ${rolesText(route)}${route.roles.length ? ', or the instance owner' : ''}.`;
    op.description = op.description ? `${op.description} ${who}` : who;
  }
}

/** People: one lead across browsers (routes/admin-people.ts). */
function peoplePaths(p: { site: object; admin: object[]; errors: object; ref: (name: string) => object; queryParams: (s: z.ZodObject) => object[] }) {
  const { site, admin, errors, ref } = p;
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^p~[0-9a-f]{32}$' } };
  const jsonBody = (name: string) => ({ required: true, content: { 'application/json': { schema: ref(name) } } });
  return {
    '/v1/admin/sites/{site}/people': {
      get: { summary: 'The person an email address belongs to: its profile', security: admin, parameters: [site, ...p.queryParams(PeopleQuerySchema)], responses: { '200': { description: 'The person profile' }, ...errors } },
      delete: { summary: 'Erase the person an email address belongs to, every browser linked to it, its identifiers and its rows in every object (GDPR requests arrive by email)', security: admin, parameters: [site, ...p.queryParams(PeopleQuerySchema)], responses: { '200': { description: '{ site, id, erased }' }, ...errors } },
    },
    '/v1/admin/sites/{site}/people/{id}': {
      get: { summary: "A person's profile: traits, score with breakdown, stage history, timeline of every browser (each entry names its browser), browsers, identifiers, conflicts", security: admin, parameters: [site, id], responses: { '200': { description: 'The person profile' }, ...errors } },
      delete: { summary: 'Erase the person, every browser linked to it, its identifiers and its rows in every object', security: admin, parameters: [site, id], responses: { '200': { description: '{ site, id, erased }' }, ...errors } },
    },
    '/v1/admin/sites/{site}/people/{id}/export': {
      get: { summary: 'Everything stored about a person, from every browser and object, as a JSON attachment', security: admin, parameters: [site, id], responses: { '200': { description: 'The export' }, ...errors } },
    },
    '/v1/admin/sites/{site}/people/{id}/split': {
      post: { summary: 'Detach a browser: both then score exactly what each would have alone', security: admin, parameters: [site, id], requestBody: jsonBody('Split'), responses: { '200': { description: '{ site, id, browser, score: { person, browser } }' }, '409': { description: 'The browser was folded into the oldest part (past the browser cap) and cannot be split' }, ...errors } },
    },
    '/v1/admin/sites/{site}/link-tokens': {
      post: { summary: 'A signed token for email links (`?le_t=`): the browser landing through it is linked to that email as verified', security: admin, parameters: [site], requestBody: jsonBody('LinkTokenInput'), responses: { '201': { description: '{ token, email, expiresAt }' }, ...errors } },
    },
  };
}

/** Learning from outcomes (routes/admin-calibration.ts). */
function calibrationPaths(p: { site: object; aid: object; admin: object[]; errors: object; ref: (name: string) => object; queryParams: (s: z.ZodObject) => object[] }) {
  const { site, aid, admin, errors, ref } = p;
  const jsonBody = (name: string, required = true) => ({ required, content: { 'application/json': { schema: ref(name) } } });
  const unprocessable = { '422': { description: 'The labelled leads cannot support a calibration (too_few_rows, single_class, too_few_per_class, no_signal)', content: { 'application/json': { schema: ref('Error') } } } };
  return {
    '/v1/admin/sites/{site}/visitors/{aid}/outcome': {
      post: { summary: "A lead's outcome (won or lost): its training label for calibration", security: admin, parameters: [site, aid], requestBody: jsonBody('Outcome'), responses: { '200': { description: '{ visitor: { id, stage }, outcome, label }' }, '409': { description: 'Not a lead (anonymous)' }, ...errors } },
    },
    '/v1/admin/sites/{site}/training': {
      get: { summary: 'Labelled leads kept for calibration: count by source and origin, cap, oldest and newest', security: admin, parameters: [site], responses: { '200': { description: '{ site, rows, cap, bySource, byOrigin, oldest, newest }' }, ...errors } },
      delete: { summary: 'Forget labelled leads (all, or one origin: live or import)', security: admin, parameters: [site, ...p.queryParams(ClearTrainingQuerySchema)], responses: { '200': { description: '{ site, removed }' }, ...errors } },
    },
    '/v1/admin/sites/{site}/training/import': {
      post: { summary: 'Import historical leads (1-500 per request; `npm run import` maps a CSV)', security: admin, parameters: [site], requestBody: jsonBody('TrainingImport'), responses: { '200': { description: '{ site, imported, training }' }, ...errors } },
    },
    '/v1/admin/sites/{site}/calibrate': {
      post: {
        summary: 'Fit points per rule on labelled leads; held-out AUC and log-loss for the current and the proposed config, thresholds for a target precision, and `proposal`, a config document PUT accepts as is (nothing is applied)',
        security: admin,
        parameters: [site],
        requestBody: jsonBody('CalibrateOptions', false),
        responses: { '200': { description: '{ site, basedOnVersion, rows, settings, evaluation: { current, proposed }, rules, thresholds, model, notes, proposal }' }, ...unprocessable, ...errors },
      },
    },
  };
}

export const openApiRoutes = new Hono<{ Bindings: Env }>();
openApiRoutes.get('/v1/openapi.json', (c) => c.json(openApiDocument()));
openApiRoutes.get('/v1/config.schema.json', (c) => c.json(json(SiteConfigSchema, 'input')));
