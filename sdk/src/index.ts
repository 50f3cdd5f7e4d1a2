/** The npm entry: `import { createClient } from 'leadedge'`. No global is installed. */
export { createClient } from './client';
export type { Cta, Decision, LeadEdge, LeadEdgeConfig, PropValue, Props, Stage, Traits } from './types';
