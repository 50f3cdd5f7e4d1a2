/** Fit points: how well a visitor's traits match the ideal customer. Not decayed. */
import type { FitRule } from '../schema/config';
import type { Traits } from '../schema/events';

/** The trait a fit rule reads, with `emailDomain` derived from the email. */
export function traitValue(traits: Traits, trait: string): string | number | boolean | null | undefined {
  if (trait === 'emailDomain') return traits.email?.split('@')[1]?.toLowerCase();
  if (trait.startsWith('custom.')) {
    const key = trait.slice(7);
    return traits.custom && Object.hasOwn(traits.custom, key) ? traits.custom[key] : undefined;
  }
  return Object.hasOwn(traits, trait) ? (traits as Record<string, string | number | undefined>)[trait] : undefined;
}

/** "51-200" -> 51, "1,000+" -> 1000, 250 -> 250. */
function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const m = value.replace(/,/g, '').match(/\d+(\.\d+)?/);
  return m ? Number(m[0]) : undefined;
}

const norm = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v);

function containsWord(haystack: string, phrase: string): boolean {
  const h = ` ${haystack.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
  const p = phrase.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  return p.length > 0 && h.includes(` ${p} `);
}

export function fitRuleMatches(rule: FitRule, traits: Traits): boolean {
  const value = traitValue(traits, rule.trait);
  const present = value !== undefined && value !== null && value !== '';
  const m = rule.match;
  if (m.exists !== undefined && m.exists !== present) return false;
  if (!present) return m.exists === false;
  if (m.equals !== undefined && norm(value) !== norm(m.equals)) return false;
  if (m.in !== undefined && !m.in.some((v) => norm(v) === norm(value))) return false;
  if (m.anyWord !== undefined && !m.anyWord.some((w) => containsWord(String(value), w))) return false;
  if (m.gte !== undefined || m.lte !== undefined) {
    const n = numeric(value);
    if (n === undefined) return false;
    if (m.gte !== undefined && n < m.gte) return false;
    if (m.lte !== undefined && n > m.lte) return false;
  }
  return true;
}
