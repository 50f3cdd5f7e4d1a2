/**
 * The site config document: scoring rules, stage thresholds, CTA rules, webhooks. The public
 * shape (`SiteConfigInput`) has optional fields whose defaults are documented here; `resolveConfig`
 * returns the fully-filled `SiteConfig` that the rest of the code uses.
 */
import { z } from 'zod';
import { FORBIDDEN_KEYS, LIMITS, isAbsoluteUrl } from './limits';
import { EVENT_TYPES } from './events';

/**
 * Names a rule, webhook or CTA id must not take: `__proto__` and every property of Object.prototype
 * (`constructor`, `toString`, `hasOwnProperty`...). Ids become keys of per-visitor maps.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype', ...Object.getOwnPropertyNames(Object.prototype)]);

/**
 * An object schema that refuses unknown keys, naming the nearest known key for each
 * (`unknown key "behaviour"; did you mean "behavior"?`). zod reports them in one issue per object,
 * with one line per key in that order; `configIssues` makes that one issue per key, at its full path.
 */
function strictObject<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? issue.keys.map((key) => unknownKeyMessage(key, known)).join('\n') : undefined),
  });
}

/**
 * @example unknownKeyMessage('behaviour', ['halfLifeDays', 'behavior', 'fit']) // 'unknown key "behaviour"; did you mean "behavior"?'
 */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const nearest = nearestKey(key, known);
  return nearest ? `unknown key ${quoted(key)}; did you mean "${nearest}"?` : `unknown key ${quoted(key)}; known keys here: ${known.join(', ')}`;
}

/** The known key closest to `key` by edit distance (ignoring case), if close enough to be a typo. */
function nearestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Edit distance counting insertions, deletions, substitutions and swaps of neighbours (`paht`: 1), for short keys. */
function editDistance(a: string, b: string): number {
  if (a.length > 100 || b.length > 100) return Infinity;
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** `strict.object(shape)`: every object of the config document refuses unknown keys (records stay records). */
const strict = { object: strictObject };

export const STAGES = ['anonymous', 'known', 'mql', 'sql', 'sal', 'disqualified'] as const;
export const StageSchema = z.enum(STAGES);
export type Stage = z.infer<typeof StageSchema>;

const RuleId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'rule ids: 1-64 lowercase letters, digits, ".", "_" or "-"');
const Scalar = z.union([z.string().max(200), z.number().finite(), z.boolean()]);
const OneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1).max(50)]);

export const BehaviorRuleSchema = strict.object({
  id: RuleId,
  description: z.string().max(200).optional(),
  /** Every condition given must hold; an empty `when` matches every event. */
  when: strict
    .object({
      type: OneOrMany(z.enum(EVENT_TYPES)).optional(),
      /** Name of a custom `track` event; `*` matches any run of characters. */
      name: z.string().min(1).max(64).optional(),
      /** Glob on the path: `*` matches within one segment, `**` across segments (`/blog/**`). */
      path: z.string().min(1).max(200).startsWith('/').optional(),
      /** The event carries at least one of these topics. */
      topic: OneOrMany(z.string().min(1).max(64)).optional(),
      /** Each named prop equals the given value. */
      props: z
        .record(z.string().max(64).refine((k) => !FORBIDDEN_KEYS.has(k), 'reserved key'), Scalar)
        .optional(),
    })
    .default({}),
  /** Points per matching event; negative for signals against buying (careers page). */
  points: z.number().finite().min(-1000).max(1000),
  /** The rule never contributes more than this many points (in absolute value) in total. Default: no cap. */
  maxPoints: z.number().finite().positive().max(100_000).optional(),
  /** At most one matching event counts per cell of this many minutes of the clock (cells start at multiples of it since the epoch, UTC), whatever order events arrive in. Default 0: every event counts. */
  cooldownMinutes: z.number().finite().min(0).max(525_600).default(0),
});
export type BehaviorRule = z.infer<typeof BehaviorRuleSchema>;

export const FIT_TRAITS = [
  'email',
  'emailDomain',
  'name',
  'company',
  'title',
  'companySize',
  'industry',
  'country',
] as const;

export const FitRuleSchema = strict.object({
  id: RuleId,
  description: z.string().max(200).optional(),
  /** A standard trait, `emailDomain` (derived from email), or `custom.<key>`. */
  trait: z.union([
    z.enum(FIT_TRAITS),
    z.string().regex(/^custom\.[A-Za-z0-9_.$-]{1,64}$/, 'custom traits are named "custom.<key>"'),
  ]),
  /** Every condition given must hold. Text comparisons ignore case. */
  match: strict
    .object({
      exists: z.boolean().optional(),
      equals: Scalar.optional(),
      in: z.array(Scalar).min(1).max(500).optional(),
      /** Any of these words or phrases appears in the value (whole words). */
      anyWord: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
      /** Numeric comparisons (a range such as "51-200" compares by its lower bound). */
      gte: z.number().finite().optional(),
      lte: z.number().finite().optional(),
    })
    .refine((m) => Object.values(m).some((v) => v !== undefined), {
      message: 'give at least one condition: exists, equals, in, anyWord, gte or lte',
    }),
  points: z.number().finite().min(-1000).max(1000),
});
export type FitRule = z.infer<typeof FitRuleSchema>;

const Threshold = strict.object({
  /** Total score (behaviour + fit) at or above which the stage is reached. */
  score: z.number().finite(),
  /** Fit points at or above which the stage is reached. */
  fit: z.number().finite().default(0),
});

const Href = z
  .string()
  .max(LIMITS.maxUrlLength)
  .refine((h) => h.startsWith('/') || /^https?:\/\//i.test(h), {
    message: 'a path starting with "/" or an http(s) URL',
  });

export const CtaRuleSchema = strict.object({
  /** Reported back in `cta_click`; may use template variables such as `webinar-{{topTopic}}`. */
  id: z.string().min(1).max(128),
  /** Every condition given must hold; no `when` always matches (a fallback). */
  when: strict
    .object({
      stages: z.array(StageSchema).min(1).optional(),
      /** One of the visitor's top 3 topics is in this list. */
      topics: z.array(z.string().min(1).max(64)).min(1).optional(),
      minScore: z.number().finite().optional(),
      maxScore: z.number().finite().optional(),
      /** The visitor has done each of these (event types or custom `track` names). */
      did: z.array(z.string().min(1).max(64)).min(1).optional(),
      /** The visitor has done none of these. */
      didNot: z.array(z.string().min(1).max(64)).min(1).optional(),
    })
    .optional(),
  /** Template variables: {{firstName}}, {{name}}, {{company}}, {{topTopic}}, {{stage}}; `{{firstName|there}}` gives a fallback. */
  text: z.string().min(1).max(300),
  href: Href.optional(),
  /** Free-form tag for the page's styling or A/B bookkeeping. */
  variant: z.string().max(40).optional(),
});
export type CtaRule = z.infer<typeof CtaRuleSchema>;

export const WEBHOOK_EVENT_TYPES = [
  'lead.demo_requested',
  'lead.mql',
  'lead.sql',
  'lead.stage_changed',
  'lead.verdict',
  'lead.merged',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export const WebhookEndpointSchema = strict.object({
  id: RuleId,
  url: z.string().max(LIMITS.maxUrlLength).refine((u) => isAbsoluteUrl(u), 'an absolute URL'),
  /** `whsec_` + base64 of at least 24 random bytes (Standard Webhooks). */
  secret: z
    .string()
    .regex(WEBHOOK_SECRET_PATTERN, 'secret: "whsec_" followed by base64')
    .refine((s) => base64Bytes(s.slice(6)) >= 24, 'secret: at least 24 random bytes'),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1),
  format: z.enum(['standard', 'slack']).default('standard'),
  enabled: z.boolean().default(true),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;

function base64Bytes(b64: string): number {
  try {
    return atob(b64).length;
  } catch {
    return 0;
  }
}

const SlotName = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'slot names: lowercase, digits, "-" or "_"');
const Origin = z.union([
  z.literal('*'),
  z
    .string()
    .max(200)
    .refine((o) => isAbsoluteUrl(o) && new URL(o).origin === o, 'an origin such as "https://example.com"'),
]);

const StoredConfigSchema = strict
  .object({
    name: z.string().max(100).optional(),
    /** Browser origins allowed to send beacons; "*" allows any. Requests without an Origin header (servers, curl) are always allowed. Default: none. */
    allowedOrigins: z.array(Origin).max(50).default([]),
    /** Include the score in the decision returned to the browser. Default false: scores are for your team. */
    exposeScore: z.boolean().default(false),
    privacy: strict
      .object({
        /** Drop beacons sent with `Sec-GPC: 1` or `navigator.globalPrivacyControl`. Default true. */
        honorGpc: z.boolean().default(true),
        /** Drop beacons sent with `DNT: 1` (the SDK also checks navigator.doNotTrack). Default true. */
        honorDnt: z.boolean().default(true),
        /**
         * Query parameters kept in the event URLs LeadEdge stores and sends in webhooks, besides `utm_*`
         * (kept always); every other parameter is dropped before storage. Names compare exactly. Default none.
         */
        keepQueryParams: z.array(z.string().min(1).max(64)).max(50).default([]),
      })
      .default({ honorGpc: true, honorDnt: true, keepQueryParams: [] }),
    /** Days a visitor's events are kept; a visitor unseen this long is erased entirely. Default 395 (13 months). */
    retentionDays: z.number().int().min(1).max(3650).default(395),
    rateLimits: strict
      .object({
        /** Beacons one visitor may send at once. Default 60. */
        visitorBurst: z.number().int().min(1).max(100_000).default(60),
        /** Beacons per second one visitor may sustain after the burst. Default 1. */
        visitorPerSecond: z.number().min(0.01).max(10_000).default(1),
      })
      .default({ visitorBurst: 60, visitorPerSecond: 1 }),
    bots: strict
      .object({
        /**
         * Score beacons from browser automation (navigator.webdriver, headless user agents). Default
         * false: they are counted as bots. Known crawlers are never scored.
         */
        allowAutomated: z.boolean().default(false),
      })
      .default({ allowAutomated: false }),
    scoring: strict
      .object({
        /** Behaviour points halve every this many days; 0 turns decay off. Default 30. */
        halfLifeDays: z.number().finite().min(0).max(3650).default(30),
        behavior: z.array(BehaviorRuleSchema).max(LIMITS.maxRules).default([]),
        fit: z.array(FitRuleSchema).max(LIMITS.maxRules).default([]),
      })
      .default({ halfLifeDays: 30, behavior: [], fit: [] }),
    stages: strict
      .object({
        mql: Threshold.default({ score: 50, fit: 0 }),
        sql: Threshold.default({ score: 120, fit: 0 }),
      })
      .default({ mql: { score: 50, fit: 0 }, sql: { score: 120, fit: 0 } }),
    ctas: z
      .record(SlotName, z.array(CtaRuleSchema).max(LIMITS.maxCtaRulesPerSlot))
      .refine((c) => Object.keys(c).length <= LIMITS.maxSlots, `at most ${LIMITS.maxSlots} slots`)
      .default({}),
    webhooks: z.array(WebhookEndpointSchema).max(20).default([]),
    delivery: strict
      .object({
        /** Delay before each retry, in seconds (Standard Webhooks schedule). Jitter of up to 10% is added. */
        retryScheduleSeconds: z
          .array(z.number().finite().min(0).max(7 * 24 * 3600))
          .max(20)
          .default([5, 300, 1800, 7200, 18000, 36000, 36000]),
        /** One attempt's timeout. Default 15000. */
        timeoutMs: z.number().int().min(100).max(30_000).default(15_000),
      })
      .default({ retryScheduleSeconds: [5, 300, 1800, 7200, 18000, 36000, 36000], timeoutMs: 15_000 }),
    alerts: strict
      .object({
        /**
         * Demo-request alerts (`lead.demo_requested` webhooks, one per endpoint) sent per clock hour;
         * past it they are not sent (suppressed, shown in the delivery log), so a flood of scripted
         * demo requests cannot bury sales' channel. Default 100.
         */
        demoRequestsPerHour: z.number().int().min(1).max(100_000).default(100),
      })
      .default({ demoRequestsPerHour: 100 }),
    identity: strict
      .object({
        /**
         * Identifier values that never link browsers into one person, besides the built-in ones (empty,
         * null, undefined, anonymous, -1, 0, all zeros): a form's placeholder address, a test account.
         * Compared trimmed and case-insensitively.
         */
        blockedValues: z.array(z.string().max(254)).max(200).default([]),
        /** Browsers one identifier may link in a UTC day; past it the link is refused (counted). Default 10. */
        linksPerDay: z.number().int().min(1).max(1000).default(LIMITS.linksPerIdentifierPerDay),
      })
      .default({ blockedValues: [], linksPerDay: LIMITS.linksPerIdentifierPerDay }),
    /** Link base for the marketer view in webhook payloads; defaults to the Worker's own origin. */
    adminBaseUrl: z.string().url().optional(),
    /**
     * Cloudflare Turnstile on demo requests: each must carry a token (the SDK reads it from the form's
     * widget) that siteverify accepts, or the beacon is refused (403 turnstile_failed). Default: off.
     */
    turnstile: strict.object({ secret: z.string().min(1).max(200) }).optional(),
  })
  .superRefine((c, ctx) => {
    uniqueIds(ctx, c.scoring.behavior, ['scoring', 'behavior']);
    uniqueIds(ctx, c.scoring.fit, ['scoring', 'fit']);
    uniqueIds(ctx, c.webhooks, ['webhooks']);
    if (c.stages.sql.score < c.stages.mql.score) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 'sql', 'score'],
        message: 'the SQL score threshold must not be below the MQL threshold',
      });
    }
  });

/** The stored-document schema, plus what a save refuses and reads never needed: reserved ids. */
export const SiteConfigSchema = StoredConfigSchema.superRefine((c, ctx) => {
  const reserved = (id: string, path: (string | number)[]) => {
    if (RESERVED_NAMES.has(id)) ctx.addIssue({ code: 'custom', path, message: `"${id}" is reserved (a property name of every JavaScript object); choose another id` });
  };
  c.scoring.behavior.forEach((r, i) => reserved(r.id, ['scoring', 'behavior', i, 'id']));
  c.scoring.fit.forEach((r, i) => reserved(r.id, ['scoring', 'fit', i, 'id']));
  c.webhooks.forEach((w, i) => reserved(w.id, ['webhooks', i, 'id']));
  for (const [slot, rules] of Object.entries(c.ctas)) rules.forEach((r, i) => reserved(r.id, ['ctas', slot, i, 'id']));
});

function uniqueIds(ctx: z.RefinementCtx, items: { id: string }[], path: (string | number)[]) {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) {
      ctx.addIssue({ code: 'custom', path: [...path, i, 'id'], message: `duplicate id "${item.id}"` });
    }
    seen.add(item.id);
  });
}

export type SiteConfigInput = z.input<typeof SiteConfigSchema>;
export type SiteConfig = z.output<typeof SiteConfigSchema>;

/**
 * Fills every default of a config document, or reports every problem by path (at most 50). What a
 * save must pass: unknown keys and reserved ids are refused.
 * @example resolveConfig({ stages: { mql: { score: 40 } } }).config.scoring.halfLifeDays // 30
 * @example resolveConfig({ scoring: { behaviour: [] } }).issues // [{ path: 'scoring.behaviour', message: 'unknown key "behaviour"; did you mean "behavior"?' }]
 */
export function resolveConfig(
  input: unknown,
): { ok: true; config: SiteConfig } | { ok: false; issues: ConfigIssue[] } {
  if (isEnvelope(input)) {
    return { ok: false, issues: [{ path: 'config', message: 'this is the document GET returns ({ site, version, savedAt, note, config }); send its "config" object as the body' }] };
  }
  const parsed = SiteConfigSchema.safeParse(input);
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, issues: configIssues(parsed.error.issues) };
}
export type ConfigIssue = { path: string; message: string };

/**
 * A document as it was stored: what an earlier release accepted still loads. Unknown keys (saved
 * before they were refused) are left out, and ids are not checked against reserved names (every
 * read of a per-rule map is own-property only). `document` is the stored one without those keys.
 */
export function resolveStoredConfig(
  stored: unknown,
): { ok: true; config: SiteConfig; document: SiteConfigInput } | { ok: false; issues: ConfigIssue[] } {
  let parsed = StoredConfigSchema.safeParse(stored);
  let document = stored;
  if (!parsed.success && parsed.error.issues.every((i) => i.code === 'unrecognized_keys')) {
    document = withoutPaths(stored, parsed.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k]) : [])));
    parsed = StoredConfigSchema.safeParse(document);
  }
  if (!parsed.success) return { ok: false, issues: configIssues(parsed.error.issues) };
  return { ok: true, config: parsed.data, document: document as SiteConfigInput };
}

/** zod's issues by path; an object's unknown keys become one issue per key (see strictObject). */
function configIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const join = (path: PropertyKey[]) => path.map(String).join('.');
  return issues
    .flatMap((i) => {
      if (i.code !== 'unrecognized_keys') return [{ path: join(i.path), message: i.message }];
      const lines = i.message.split('\n');
      // One line per key from strictObject; any other object schema gets a plain message per key.
      return i.keys.map((key, k) => ({ path: join([...i.path, key]), message: lines.length === i.keys.length ? lines[k]! : `unknown key ${quoted(key)}` }));
    })
    .slice(0, 50);
}

/** A key as messages show it: quoted, and cut short if long. */
const quoted = (key: string) => JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The GET answer sent back as a config: a `config` object is never a config's own key. */
function isEnvelope(input: unknown): boolean {
  return isRecord(input) && Object.hasOwn(input, 'config') && isRecord(input.config);
}

/** A copy of `value` without the keys at these paths (each path ends with the key). */
function withoutPaths(value: unknown, paths: PropertyKey[][]): unknown {
  const copy = structuredClone(value);
  for (const path of paths) {
    let node: unknown = copy;
    for (const step of path.slice(0, -1)) node = isRecord(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[step as string] : undefined;
    if (isRecord(node)) delete node[path[path.length - 1] as string];
  }
  return copy;
}
