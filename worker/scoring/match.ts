/** Does a behaviour rule match an event? Pure; each rule is compiled once (per config object) and cached. */
import type { BehaviorRule } from '../schema/config';
import type { LeadEvent } from '../schema/events';
import { compileGlob } from './glob';

/** The event's path, from `path` or its URL, without a trailing slash or `.html`. */
export function eventPath(event: Pick<LeadEvent, 'path' | 'url'>): string {
  let path = event.path ?? (event.url ? new URL(event.url).pathname : '/');
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  if (path.endsWith('.html')) path = path.slice(0, -5);
  if (path.endsWith('/index')) path = path.slice(0, -6) || '/';
  return path;
}

/** Name under which an event counts for `did`/`didNot` and per-type counts: its type, or its custom name. */
export function eventKey(event: LeadEvent): string {
  return event.type === 'track' ? event.name : event.type;
}

export function ruleMatches(rule: BehaviorRule, event: LeadEvent, path: string): boolean {
  return matcherOf(rule)(event, path);
}

/**
 * The behaviour rules that can match an event of this type, in config order: a rule naming other
 * types never can. Indexed once per config (it runs for every event of every beacon).
 */
export function rulesForType(rules: readonly BehaviorRule[], type: LeadEvent['type']): readonly BehaviorRule[] {
  let byType = rulesByType.get(rules);
  if (!byType) {
    byType = new Map();
    rulesByType.set(rules, byType);
  }
  let list = byType.get(type);
  if (!list) {
    list = rules.filter((r) => r.when.type === undefined || (Array.isArray(r.when.type) ? r.when.type.includes(type) : r.when.type === type));
    byType.set(type, list);
  }
  return list;
}

/** At most this many paths' answers are kept per config and event type (then they start over). */
const PATH_MEMO_SIZE = 500;

type TypeIndex = { perEvent: boolean; byPath: Map<string, readonly BehaviorRule[]> };
const typeIndexes = new WeakMap<readonly BehaviorRule[], TypeIndex>();

/**
 * The behaviour rules an event matches, in config order (do not change the array). A rule whose
 * `when` names only a type and a path glob is decided by (type, path) alone, and a beacon's events
 * mostly repeat a few pages: those answers are kept per config, type and path. Rules that also look
 * at a name, topics or props are checked for every event.
 */
export function matchingRules(rules: readonly BehaviorRule[], event: LeadEvent, path: string): readonly BehaviorRule[] {
  const candidates = rulesForType(rules, event.type);
  let index = typeIndexes.get(candidates);
  if (!index) {
    index = { perEvent: candidates.some((r) => !decidedByPath(r)), byPath: new Map() };
    typeIndexes.set(candidates, index);
  }
  if (index.perEvent) return candidates.filter((r) => ruleMatches(r, event, path));
  let matched = index.byPath.get(path);
  if (!matched) {
    if (index.byPath.size >= PATH_MEMO_SIZE) index.byPath.clear();
    matched = candidates.filter((r) => ruleMatches(r, event, path));
    index.byPath.set(path, matched);
  }
  return matched;
}

const decidedByPath = (rule: BehaviorRule) => rule.when.name === undefined && rule.when.topic === undefined && rule.when.props === undefined;

type Matcher = (event: LeadEvent, path: string) => boolean;

/** Per config object: a new config version is a new object, so nothing here goes stale. */
const rulesByType = new WeakMap<readonly BehaviorRule[], Map<string, readonly BehaviorRule[]>>();
const matchers = new WeakMap<BehaviorRule, Matcher>();

function matcherOf(rule: BehaviorRule): Matcher {
  let matcher = matchers.get(rule);
  if (!matcher) {
    matcher = compileRule(rule);
    matchers.set(rule, matcher);
  }
  return matcher;
}

/** A rule's `when` as one closure: its globs, topic list and props resolved once, not per event. */
function compileRule(rule: BehaviorRule): Matcher {
  const when = rule.when;
  const types = when.type === undefined ? null : new Set<string>(Array.isArray(when.type) ? when.type : [when.type]);
  const name = when.name === undefined ? null : compileGlob(when.name);
  const path = when.path === undefined ? null : compileGlob(when.path);
  const topics = when.topic === undefined ? null : (Array.isArray(when.topic) ? when.topic : [when.topic]).map((t) => t.toLowerCase());
  const props = when.props === undefined ? null : Object.entries(when.props);
  return (event, eventPath) => {
    if (types && !types.has(event.type)) return false;
    if (name && (event.type !== 'track' || !name.test(event.name))) return false;
    if (path && !path.test(eventPath)) return false;
    if (topics && !event.topics?.some((t) => topics.includes(t))) return false;
    if (props) {
      for (const [key, expected] of props) {
        const actual = event.props && Object.hasOwn(event.props, key) ? event.props[key] : undefined;
        const ok = Array.isArray(actual) ? actual.includes(expected) : actual === expected;
        if (!ok) return false;
      }
    }
    return true;
  };
}
