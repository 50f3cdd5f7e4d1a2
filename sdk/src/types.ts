/**
 * The SDK's public types. They are written out (not imported from worker/) so the published
 * `.d.ts` stands alone; contract-check.ts proves at compile time that they match the Worker's.
 */

/** A prop value: a scalar or an array of scalars (the Worker refuses deeper nesting). */
export type PropValue = string | number | boolean | null | (string | number | boolean | null)[];
export type Props = Record<string, PropValue>;

/** What `identify` accepts; unknown keys go nowhere, `custom` carries your own scalars. */
export type Traits = {
  email?: string;
  name?: string;
  firstName?: string;
  lastName?: string;
  company?: string;
  title?: string;
  /** Employees, as a number or a range such as "51-200". */
  companySize?: number | string;
  industry?: string;
  country?: string;
  phone?: string;
  custom?: Record<string, string | number | boolean | null>;
};

export type Stage = 'anonymous' | 'known' | 'mql' | 'sql' | 'sal' | 'disqualified';

/**
 * One call to action for a page slot (`data-le-slot`). `text` is plain text (visitor values as
 * they are); `html` is the same text with the visitor values (`{{name}}`...) HTML-escaped, sent
 * when that differs from `text`: `html ?? text` is what `allowHtml` puts into the page.
 */
export type Cta = { id: string; text: string; html?: string; href?: string; variant?: string };

/** What the Worker decided for this visitor: stage and one CTA per slot. */
export type Decision = {
  visitor: { id: string; stage: Stage; score?: number };
  ctas: Record<string, Cta>;
};

/** Configuration; every field but `site` is optional and documents its default. */
export type LeadEdgeConfig = {
  /** Site key, as created in the admin API. Required. */
  site: string;
  /** Worker origin such as "https://leadedge.example.com". Script tag: the script's own origin. */
  endpoint?: string;
  /** Log what the SDK does and ignores (the debug build, /sdk.debug.js, or the ESM build). Default false. */
  debug?: boolean;
  /** "required": nothing is stored or sent before `consent('granted')`. Default: not required. */
  consent?: 'required' | 'not-required';
  /** No cookie and no localStorage: the anonymous id lives in sessionStorage (one tab). Default false. */
  cookieless?: boolean;
  /** Send nothing when the browser sends Do Not Track. Default true. */
  respectDnt?: boolean;
  /** Send nothing when the browser sends Global Privacy Control. Default true. */
  respectGpc?: boolean;
  /** Hide `data-le-slot` elements until a decision is shown, for 300 ms at most (then the page's own content shows). Default false. */
  hideUntilDecided?: boolean;
  /** File extensions (lower-case, no dot) whose links count as downloads. Default: common document and archive types. */
  downloadExtensions?: string[];
  /** Let CTA text from the server be HTML (only if you trust everyone who edits the site config). Default false. */
  allowHtml?: boolean;
  /** Send page views automatically, including SPA route changes. Default true. */
  autoPageViews?: boolean;
  /** A change of query string alone (same path) is a new page view. Default false. */
  queryPageViews?: boolean;
  /** Query parameters kept in the page URL and referrer sent, besides `utm_*`; all others are removed before sending. Default none. */
  keepParams?: string[];
};

/** The API of `window.leadedge` and of `createClient()`. No method ever throws. */
export type LeadEdge = {
  /** Records a page view (automatic by default). */
  page(props?: Props): void;
  /**
   * Records an event: a known type (download, webinar_signup, demo_request, cta_click, page_view) or a custom name.
   * For demo_request, `props.turnstile` (a Cloudflare Turnstile token) is sent as the event's own `turnstile` field, not as a prop.
   */
  track(name: string, props?: Props): void;
  /**
   * Attaches traits to this visitor; `userId`, your own account id for them (trimmed, 1-256 chars),
   * links every browser it is given in to one person.
   */
  identify(traits: Traits, userId?: string): void;
  /** Grants or withdraws consent; "denied" also erases stored ids and queued events. */
  consent(state: 'granted' | 'denied'): void;
  /** Calls `cb` with the cached decision (if any) now, and with each new one. */
  onDecision(cb: (decision: Decision) => void): void;
  /** This visitor's anonymous id ("" while tracking is blocked by GPC, DNT or a denial). */
  anonymousId(): string;
  /** Forgets the visitor (new anonymous id and session, no cached decision), e.g. on log-out. */
  reset(): void;
};
