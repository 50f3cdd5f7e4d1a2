/**
 * CTA decisions: per slot, the first rule whose stage, topics, score and history conditions
 * match wins. Pure: (visitor facts, config) -> what each slot shows.
 */
import type { CtaRule, SiteConfig, Stage } from '../schema/config';
import { hasDone, topTopics, type Aggregates } from '../scoring/aggregates';
import type { Cta, Decision } from '../schema/responses';
import { escapeHtml, renderTemplate, type TemplateVars } from './template';

export type { Cta, Decision };

export type DecisionInput = {
  anonymousId: string;
  stage: Stage;
  score: number;
  aggregates: Aggregates;
};

/**
 * @example decide({ anonymousId: 'a-1', stage: 'known', score: 40, aggregates }, config, Date.now())
 *   // { visitor: { id: 'a-1', stage: 'known' }, ctas: { hero: { id: 'webinar-analytics', ... } } }
 */
export function decide(input: DecisionInput, config: SiteConfig, now: number): Decision {
  const topics = topTopics(input.aggregates, now, config.scoring.halfLifeDays, 3);
  const vars = templateVars(input, topics);
  const ctas: Record<string, Cta> = {};
  for (const [slot, rules] of Object.entries(config.ctas)) {
    const rule = rules.find((r) => ctaRuleMatches(r, input, topics));
    if (rule) ctas[slot] = renderCta(rule, vars);
  }
  const visitor: Decision['visitor'] = { id: input.anonymousId, stage: input.stage };
  if (config.exposeScore) visitor.score = input.score;
  return { visitor, ctas };
}

export function ctaRuleMatches(rule: CtaRule, input: DecisionInput, topics: string[]): boolean {
  const when = rule.when;
  if (!when) return true;
  if (when.stages && !when.stages.includes(input.stage)) return false;
  if (when.topics && !when.topics.some((t) => topics.includes(t.toLowerCase()))) return false;
  if (when.minScore !== undefined && input.score < when.minScore) return false;
  if (when.maxScore !== undefined && input.score > when.maxScore) return false;
  if (when.did && !when.did.every((k) => hasDone(input.aggregates, k))) return false;
  if (when.didNot && when.didNot.some((k) => hasDone(input.aggregates, k))) return false;
  return true;
}

function templateVars(input: DecisionInput, topics: string[]): TemplateVars {
  const traits = input.aggregates.traits;
  return {
    firstName: traits.firstName ?? traits.name?.trim().split(/\s+/)[0],
    name: traits.name,
    company: traits.company,
    topTopic: topics[0],
    stage: input.stage,
  };
}

/**
 * `text` keeps visitor values raw (onDecision listeners and textContent use it); `html` is the
 * same rendering with them HTML-escaped, for pages that allow HTML in CTAs (the rule's own markup
 * renders, a visitor named `<img onerror=...>` does not). It is sent only when it differs from
 * `text` (a value held `& < > " '`): otherwise `html ?? text` is the same string, in fewer bytes.
 */
function renderCta(rule: CtaRule, vars: TemplateVars): Cta {
  const cta: Cta = {
    id: renderTemplate(rule.id, vars, slug),
    text: renderTemplate(rule.text, vars),
  };
  const html = renderTemplate(rule.text, vars, escapeHtml);
  if (html !== cta.text) cta.html = html;
  if (rule.href) cta.href = renderTemplate(rule.href, vars, encodeURIComponent);
  if (rule.variant) cta.variant = rule.variant;
  return cta;
}

const slug = (v: string) => v.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
