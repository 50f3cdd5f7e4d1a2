/**
 * Published list prices used by the cost benchmark (USD, Workers Paid plan, beyond the included
 * monthly allowances). Read from Cloudflare's documentation in the stored copies available to
 * this project (see BENCHMARKS.md for the pages); check them again before quoting.
 */
export const PRICES_READ = 'on 2026-11-23 from stored copies of the Cloudflare docs (the Durable Objects release notes page was last updated 2026-04-21)';

export const CLOUDFLARE = {
  workerRequestsPerMillion: 0.3,
  workerCpuPerMillionMs: 0.02,
  doRequestsPerMillion: 0.15,
  doDurationPerMillionGbS: 12.5,
  doMemoryGb: 0.128,
  sqlRowsWrittenPerMillion: 1.0,
  sqlRowsReadPerMillion: 0.001,
  sqlStoragePerGbMonth: 0.2,
};

export const SOURCES = [
  ['Workers pricing (Standard usage model)', 'https://developers.cloudflare.com/workers/platform/pricing/'],
  ['Durable Objects pricing (compute and SQLite storage)', 'https://developers.cloudflare.com/durable-objects/platform/pricing/'],
  ['Durable Objects release notes: SQLite storage billing from January 2026', 'https://developers.cloudflare.com/durable-objects/release-notes/'],
];

/**
 * Hosted alternatives with a published per-event price. Only what could be sourced is listed;
 * tools priced per tracked user, contact or seat are named without a per-event figure.
 */
export const ALTERNATIVES = [
  {
    name: 'PostHog product analytics',
    perMillion: [50, 9],
    note: '$0.0000500/event from 1M to 2M events a month, falling by tier to $0.0000090 beyond 250M (first 1M free)',
    source: 'https://posthog.com/pricing (tiers as quoted by https://flexprice.io/blog/posthog-pricing-guide)',
  },
  { name: 'Mixpanel', perMillion: null, note: 'priced by events on the Growth plan, but no per-event list price in the sources available here', source: 'https://help.mixpanel.com/hc/en-us/articles/13530857626132-Billing-for-Events' },
  { name: 'Segment, HubSpot lead scoring, 6sense', perMillion: null, note: 'priced per tracked user, contact or seat: no per-event price to compare', source: null },
];
