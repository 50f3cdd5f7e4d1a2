/** Test data with overrides, instead of copied literals. */
import { DEMO_CONFIG } from '../../worker/config/demo-config';
import { resolveConfig, type SiteConfig, type SiteConfigInput } from '../../worker/schema/config';
import type { BatchInput, LeadEvent } from '../../worker/schema/events';

let counter = 0;
export const uid = (prefix = 'e') => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
/**
 * Ana's address, a new one each time: browsers that identify with the same email become one person
 * (worker/people), so tests that want separate leads get separate addresses. `ANA_EMAIL` matches them.
 */
export const anaEmail = () => `ana+${uid('t')}@acme.io`;
export const ANA_EMAIL = /^ana\+[\w-]+@acme\.io$/;

type EventOverrides = Partial<LeadEvent> & { type?: LeadEvent['type'] } & Record<string, unknown>;

/** An event of any type; identify gets traits, track a name, cta_click a ctaId unless given. */
export function makeEvent(overrides: EventOverrides = {}): LeadEvent {
  const type = overrides.type ?? 'page_view';
  const extra =
    type === 'identify' ? { traits: { email: anaEmail(), name: 'Ana Lima', company: 'Acme', title: 'VP Marketing' } }
    : type === 'track' ? { name: 'calculator_used' }
    : type === 'cta_click' ? { ctaId: 'read-blog' }
    : {};
  return { id: uid(), ts: Date.now(), url: 'http://localhost:8787/', ...extra, ...overrides, type } as LeadEvent;
}

export function makeBatch(events: LeadEvent[], overrides: Partial<BatchInput> = {}): BatchInput {
  return { site: 'demo', anonymousId: uid('a'), sessionId: 's-1', sentAt: Date.now(), events, ...overrides };
}

/** The embedded demo config with overrides merged at the top level. */
export function makeConfig(overrides: Partial<SiteConfigInput> = {}): SiteConfig {
  const resolved = resolveConfig({ ...DEMO_CONFIG, ...overrides });
  if (!resolved.ok) throw new Error(`bad test config: ${JSON.stringify(resolved.issues)}`);
  return resolved.config;
}

/** The demo journey: identify, download the ebook, sign up for the webinar, request a demo. */
export const journey = {
  identify: (traits: Record<string, unknown> = {}) =>
    makeEvent({ type: 'identify', traits: { email: anaEmail(), name: 'Ana Lima', company: 'Acme', title: 'VP Marketing', ...traits } } as EventOverrides),
  download: () => makeEvent({ type: 'download', url: 'http://localhost:8787/ebook', topics: ['analytics'], props: { file: 'ebook.pdf' } }),
  webinar: () => makeEvent({ type: 'webinar_signup', url: 'http://localhost:8787/webinar', topics: ['analytics'] }),
  pricing: () => makeEvent({ type: 'page_view', url: 'http://localhost:8787/pricing' }),
  demo: () => makeEvent({ type: 'demo_request', url: 'http://localhost:8787/demo' }),
};
