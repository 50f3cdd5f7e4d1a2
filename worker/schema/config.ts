/**
 * The site config document: scoring rules, stage thresholds, CTA rules, webhooks. The public
 * shape (`SiteConfigInput`) has optional fields whose defaults are documented here; `resolveConfig`
 * returns the fully-filled `SiteConfig` that the rest of the code uses.
 */
import { z } from 'zod';
import { FORBIDDEN_KEYS, LIMITS, isAbsoluteUrl } from './limits';
import { EVENT_TYPES } from './events';

export const STAGES = ['anonymous', 'known', 'mql', 'sql', 'sal', 'disqualified'] as const;
export const StageSchema = z.enum(STAGES);
export type Stage = z.infer<typeof StageSchema>;

const RuleId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'rule ids: 1-64 lowercase letters, digits, ".", "_" or "-"');
const Scalar = z.union([z.string().max(200), z.number().finite(), z.boolean()]);
const OneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1).max(50)]);

export const BehaviorRuleSchema = z.object({
  id: RuleId,
  description: z.string().max(200).optional(),
  /** Every condition given must hold; an empty `when` matches every event. */
  when: z
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
  /** A matching event within this many minutes of the rule's last counted event is not counted again. Default 0. */
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

export const FitRuleSchema = z.object({
  id: RuleId,
  description: z.string().max(200).optional(),
  /** A standard trait, `emailDomain` (derived from email), or `custom.<key>`. */
  trait: z.union([
    z.enum(FIT_TRAITS),
    z.string().regex(/^custom\.[A-Za-z0-9_.$-]{1,64}$/, 'custom traits are named "custom.<key>"'),
  ]),
  /** Every condition given must hold. Text comparisons ignore case. */
  match: z
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

const Threshold = z.object({
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

export const CtaRuleSchema = z.object({
  /** Reported back in `cta_click`; may use template variables such as `webinar-{{topTopic}}`. */
  id: z.string().min(1).max(128),
  /** Every condition given must hold; no `when` always matches (a fallback). */
  when: z
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
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export const WebhookEndpointSchema = z.object({
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

export const SiteConfigSchema = z
  .object({
    name: z.string().max(100).optional(),
    /** Browser origins allowed to send beacons; "*" allows any. Requests without an Origin header (servers, curl) are always allowed. Default: none. */
    allowedOrigins: z.array(Origin).max(50).default([]),
    /** Include the score in the decision returned to the browser. Default false: scores are for your team. */
    exposeScore: z.boolean().default(false),
    privacy: z
      .object({
        /** Drop beacons sent with `Sec-GPC: 1` or `navigator.globalPrivacyControl`. Default true. */
        honorGpc: z.boolean().default(true),
        /** Drop beacons sent with `DNT: 1` (the SDK also checks navigator.doNotTrack). Default true. */
        honorDnt: z.boolean().default(true),
      })
      .default({ honorGpc: true, honorDnt: true }),
    /** Days a visitor's events are kept; a visitor unseen this long is erased entirely. Default 395 (13 months). */
    retentionDays: z.number().int().min(1).max(3650).default(395),
    rateLimits: z
      .object({
        /** Beacons one visitor may send at once. Default 60. */
        visitorBurst: z.number().int().min(1).max(100_000).default(60),
        /** Beacons per second one visitor may sustain after the burst. Default 1. */
        visitorPerSecond: z.number().min(0.01).max(10_000).default(1),
      })
      .default({ visitorBurst: 60, visitorPerSecond: 1 }),
    bots: z
      .object({
        /**
         * Score beacons from browser automation (navigator.webdriver, headless user agents). Default
         * false: they are counted as bots. Known crawlers are never scored.
         */
        allowAutomated: z.boolean().default(false),
      })
      .default({ allowAutomated: false }),
    scoring: z
      .object({
        /** Behaviour points halve every this many days; 0 turns decay off. Default 30. */
        halfLifeDays: z.number().finite().min(0).max(3650).default(30),
        behavior: z.array(BehaviorRuleSchema).max(LIMITS.maxRules).default([]),
        fit: z.array(FitRuleSchema).max(LIMITS.maxRules).default([]),
      })
      .default({ halfLifeDays: 30, behavior: [], fit: [] }),
    stages: z
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
    delivery: z
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
    alerts: z
      .object({
        /**
         * Demo-request alerts (`lead.demo_requested` webhooks, one per endpoint) sent per clock hour;
         * past it they are not sent (suppressed, shown in the delivery log), so a flood of scripted
         * demo requests cannot bury sales' channel. Default 100.
         */
        demoRequestsPerHour: z.number().int().min(1).max(100_000).default(100),
      })
      .default({ demoRequestsPerHour: 100 }),
    /** Link base for the marketer view in webhook payloads; defaults to the Worker's own origin. */
    adminBaseUrl: z.string().url().optional(),
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
 * Fills every default of a config document, or reports every problem by path.
 * @example resolveConfig({ stages: { mql: { score: 40 } } }).config.scoring.halfLifeDays // 30
 */
export function resolveConfig(
  input: unknown,
): { ok: true; config: SiteConfig } | { ok: false; issues: ConfigIssue[] } {
  const parsed = SiteConfigSchema.safeParse(input);
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
}
export type ConfigIssue = { path: string; message: string };
