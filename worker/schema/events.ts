/**
 * The event contract between the browser SDK and the Worker. The SDK imports these types with
 * `import type`, so zod never reaches the script tag.
 */
import { z } from 'zod';
import { FORBIDDEN_KEYS, LIMITS, isAbsoluteUrl } from './limits';

export const SITE_KEY_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
/**
 * A person's id (one lead across browsers): "p~" and 32 hex digits. "~" is not in ID_PATTERN, so
 * no anonymous id can ever name a person's object or its row in the leads index.
 */
export const PERSON_ID_PATTERN = /^p~[0-9a-f]{32}$/;
export const TRACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
/** Client timestamps: epoch milliseconds up to the largest valid Date. */
export const MAX_TIMESTAMP = 8.64e15;

export const SiteKeySchema = z
  .string()
  .regex(SITE_KEY_PATTERN, 'site key: 1-63 lowercase letters, digits, "-" or "_"');

export const VisitorIdSchema = z
  .string()
  .min(1)
  .max(LIMITS.maxIdLength)
  .regex(ID_PATTERN, 'ids use letters, digits, ".", "_", ":" or "-"');

const safeKey = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((k) => !FORBIDDEN_KEYS.has(k), { message: 'reserved key name' });

const Scalar = z.union([
  z.string().max(LIMITS.maxPropStringLength),
  z.number().finite(),
  z.boolean(),
  z.null(),
]);
export const PropValueSchema = z.union([Scalar, z.array(Scalar).max(LIMITS.maxPropArrayLength)]);

/**
 * Refuses `__proto__` and friends before the record is built: JSON.parse makes them own keys,
 * and copying one into a fresh object would replace that object's prototype.
 */
const withoutReservedKeys = <T extends z.ZodType>(schema: T) =>
  z
    .unknown()
    .superRefine((value, ctx) => {
      if (typeof value !== 'object' || value === null) return;
      for (const key of Object.keys(value)) {
        if (FORBIDDEN_KEYS.has(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'reserved key name' });
      }
    })
    .pipe(schema);

export type PropValue = z.infer<typeof PropValueSchema>;
export type Props = Record<string, PropValue>;

export const PropsSchema = withoutReservedKeys(
  z.record(safeKey(LIMITS.maxPropKeyLength), PropValueSchema).refine((p) => Object.keys(p).length <= LIMITS.maxProps, {
    message: `at most ${LIMITS.maxProps} props`,
  }),
);

const HttpUrl = z
  .string()
  .max(LIMITS.maxUrlLength)
  .refine((u) => /^https?:\/\//i.test(u) && isAbsoluteUrl(u), { message: 'an absolute http(s) URL' });

export const EVENT_TYPES = [
  'page_view',
  'download',
  'webinar_signup',
  'demo_request',
  'identify',
  'cta_click',
  'track',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const CustomTraitsSchema = withoutReservedKeys(
  z.record(safeKey(LIMITS.maxPropKeyLength), Scalar).refine((c) => Object.keys(c).length <= LIMITS.maxCustomTraits, {
    message: `at most ${LIMITS.maxCustomTraits} custom traits`,
  }),
);

const TRAIT_FIELDS = {
  email: z.email().max(254).optional(),
  name: z.string().max(200).optional(),
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
  company: z.string().max(200).optional(),
  title: z.string().max(200).optional(),
  /** Employees, as a number or a range such as "51-200". */
  companySize: z.union([z.number().int().min(0).max(10_000_000), z.string().max(32)]).optional(),
  industry: z.string().max(100).optional(),
  country: z.string().max(64).optional(),
  phone: z.string().max(40).optional(),
  /** Anything else about the visitor: up to 25 scalars. Unknown top-level traits land here too. */
  custom: CustomTraitsSchema.optional(),
};
const TraitsObject = z.object(TRAIT_FIELDS);
export type Traits = z.infer<typeof TraitsObject>;

/**
 * Identify traits. A top-level trait of another name (`plan`, `seats`) is kept under `custom`, as
 * if sent there (a value sent under `custom` with the same name wins): a scalar within the custom
 * limits (name of 1-64 characters, not reserved; string of up to 500 characters, number, boolean
 * or null), and at most 25 custom traits in all, or the batch is refused naming the trait.
 * (`__proto__` is never a trait: it is ignored.)
 */
export const TraitsSchema = z
  .looseObject(TRAIT_FIELDS)
  .check(
    z.superRefine(
      (traits, ctx) => {
        // Runs even when the traits are not an object (zod has reported that already).
        if (!isPlainObject(traits)) return;
        const extra = Object.keys(traits).filter((key) => !Object.hasOwn(TRAIT_FIELDS, key));
        for (const key of extra) {
          const problem = FORBIDDEN_KEYS.has(key)
            ? 'reserved key name'
            : key.length > LIMITS.maxPropKeyLength
              ? `trait names have at most ${LIMITS.maxPropKeyLength} characters`
              : !Scalar.safeParse(traits[key]).success
                ? `unknown traits are kept under custom, and a custom trait is a string (up to ${LIMITS.maxPropStringLength} characters), number, boolean or null`
                : null;
          if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem, input: traits[key] });
        }
        const custom = isPlainObject(traits.custom) ? Object.keys(traits.custom) : [];
        const total = new Set([...custom, ...extra]).size;
        if (extra.length > 0 && total > LIMITS.maxCustomTraits) {
          ctx.addIssue({ code: 'custom', path: ['custom'], message: `at most ${LIMITS.maxCustomTraits} custom traits, counting unknown top-level traits (kept under custom): got ${total}` });
        }
      },
      { when: () => true },
    ),
  )
  .transform((traits): Traits => {
    const out: Record<string, unknown> = {};
    let moved: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(traits)) {
      if (Object.hasOwn(TRAIT_FIELDS, key)) {
        if (value !== undefined) out[key] = value;
      } else {
        (moved ??= {})[key] = value;
      }
    }
    if (moved) out.custom = { ...moved, ...traits.custom };
    return out as Traits;
  });

export const PersonIdSchema = z.string().regex(PERSON_ID_PATTERN, 'person ids are "p~" and 32 hex digits');

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const EventBase = z.object({
  /** Client-generated, unique per visitor: the dedupe key. */
  id: VisitorIdSchema,
  /** Client clock, epoch milliseconds. */
  ts: z.number().int().nonnegative().max(MAX_TIMESTAMP),
  url: HttpUrl.optional(),
  path: z.string().max(LIMITS.maxPathLength).startsWith('/').optional(),
  title: z.string().max(LIMITS.maxTitleLength).optional(),
  referrer: z.union([HttpUrl, z.literal('')]).optional(),
  topics: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .min(1)
        .max(LIMITS.maxTopicLength)
        .refine((t) => !FORBIDDEN_KEYS.has(t), { message: 'reserved topic name' }),
    )
    .max(LIMITS.maxTopicsPerEvent)
    .optional(),
  props: PropsSchema.optional(),
});

export const EventSchema = z
  .discriminatedUnion('type', [
    EventBase.extend({ type: z.literal('page_view') }),
    EventBase.extend({ type: z.literal('download') }),
    EventBase.extend({ type: z.literal('webinar_signup') }),
    EventBase.extend({
      type: z.literal('demo_request'),
      /** The site's Cloudflare Turnstile token (sites that require one); verified once, never stored. */
      turnstile: z.string().min(1).max(2048).optional(),
    }),
    EventBase.extend({
      type: z.literal('identify'),
      traits: TraitsSchema,
      /** The site's own account id for this person: the strongest identifier (two different userIds never merge). */
      userId: z.string().trim().min(1).max(LIMITS.maxUserIdLength).optional(),
    }),
    EventBase.extend({ type: z.literal('cta_click'), ctaId: z.string().min(1).max(128) }),
    EventBase.extend({
      type: z.literal('track'),
      name: z
        .string()
        .regex(TRACK_NAME_PATTERN, 'custom event names start with a letter')
        .max(LIMITS.maxTrackNameLength)
        .refine((n) => !FORBIDDEN_KEYS.has(n), { message: 'reserved event name' })
        // A custom name equal to a built-in type would be counted as that type.
        .refine((n) => !(EVENT_TYPES as readonly string[]).includes(n), { message: 'built-in event types are sent as their own type, not as track names' }),
    }),
  ])
  .refine((e) => e.url !== undefined || e.path !== undefined, {
    message: 'an event needs a url or a path',
    path: ['url'],
  });
export type LeadEvent = z.infer<typeof EventSchema>;

export const BatchContextSchema = z
  .object({
    userAgent: z.string().max(512).optional(),
    locale: z.string().max(35).optional(),
    /** Set by the SDK when the browser reports automation (navigator.webdriver). */
    automated: z.boolean().optional(),
    library: z.object({ name: z.string().max(40), version: z.string().max(20) }).optional(),
  })
  .optional();

export const BatchSchema = z
  .object({
    site: SiteKeySchema,
    anonymousId: VisitorIdSchema,
    /** The person this browser was last told it belongs to (CollectResponse.person): routes the beacon straight to the person. A hint: the person checks it. */
    person: PersonIdSchema.optional(),
    sessionId: VisitorIdSchema,
    /** An email link's `le_t` token, sent once by the SDK: links this browser to the token's person as verified. */
    linkToken: z.string().min(1).max(LIMITS.maxLinkTokenLength).optional(),
    /** Client clock when the batch was sent; corrects skewed event timestamps. */
    sentAt: z.number().int().nonnegative().max(MAX_TIMESTAMP),
    events: z.array(EventSchema).min(1).max(LIMITS.maxEventsPerBatch),
    context: BatchContextSchema,
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.events.forEach((e, i) => {
      if (seen.has(e.id)) {
        ctx.addIssue({ code: 'custom', path: ['events', i, 'id'], message: `duplicate event id "${e.id}" in one batch` });
      }
      seen.add(e.id);
    });
  });
export type Batch = z.infer<typeof BatchSchema>;
/** What a client builds before validation (same shape; `satisfies BatchInput` in the SDK). */
export type BatchInput = z.input<typeof BatchSchema>;
export type EventInput = z.input<typeof EventSchema>;
