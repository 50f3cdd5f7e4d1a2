/** Global Privacy Control and Do Not Track: when either is on (and respected), nothing is stored or sent. */

/**
 * @example privacyBlocked(true, null, { respectGpc: true, respectDnt: true }) // 'gpc'
 */
export function privacyBlocked(gpc: unknown, dnt: unknown, c: { respectGpc: boolean; respectDnt: boolean }): 'gpc' | 'dnt' | '' {
  return c.respectGpc && gpc === true ? 'gpc' : c.respectDnt && dnt === '1' ? 'dnt' : '';
}
