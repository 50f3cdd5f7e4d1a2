/**
 * Compile-time proof that the SDK's public types match the Worker's contract (never bundled:
 * nothing imports this file, `tsc -p sdk` checks it).
 */
import type { Traits as WireTraits } from '../../worker/schema/events';
import type { Decision as WireDecision } from '../../worker/schema/responses';
import type { Decision, Traits } from './types';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const traitsMatch: Same<Required<Traits>, Required<WireTraits>> = true;
const decisionMatches: Same<Decision, WireDecision> = true;
export const contractChecked = traitsMatch && decisionMatches;

import type { LIMITS as WIRE_LIMITS } from '../../worker/schema/limits';
import type { LIMITS } from './limits';
type Wire = typeof WIRE_LIMITS;
// One-way: a computed Worker limit (64 * 1024) is typed `number`, the literal ones must be equal.
const limitsMatch: typeof LIMITS extends Pick<Wire, keyof typeof LIMITS> ? true : false = true;
export const limitsChecked = limitsMatch;
