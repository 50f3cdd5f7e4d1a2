/** The npm entry: `import { createClient } from 'leadedge'`. No global is installed. */
import { createClient as create } from './client';
import type { LeadEdge, LeadEdgeConfig } from './types';

export type { Cta, Decision, LeadEdge, LeadEdgeConfig, PropValue, Props, Stage, Traits } from './types';

const noop = () => undefined;

/**
 * Starts the SDK in this page. Never throws: where it cannot run (no browser, e.g. during
 * server-side rendering) it returns a client that does nothing.
 * @example const le = createClient({ site: 'demo', endpoint: 'https://le.example.com' }); le.track('pricing_calculator')
 */
export function createClient(config: LeadEdgeConfig): LeadEdge {
  try {
    return create(config);
  } catch {
    return { page: noop, track: noop, identify: noop, consent: noop, onDecision: noop, anonymousId: () => '', reset: noop };
  }
}
