/** Does a behaviour rule match an event? Pure; globs are compiled once and cached. */
import type { BehaviorRule } from '../schema/config';
import type { LeadEvent } from '../schema/events';

const globCache = new Map<string, RegExp>();

/**
 * Glob to RegExp: `*` matches within one path segment, `**` across segments.
 * @example globToRegExp('/blog/**').test('/blog/2024/intro') // true
 */
export function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob
      .split('**')
      .map((part) => part.split('*').map(escapeRegExp).join('[^/]*'))
      .join('.*');
    re = new RegExp(`^${body}$`, 'i');
    if (globCache.size > 1000) globCache.clear();
    globCache.set(glob, re);
  }
  return re;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

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
  const when = rule.when;
  if (when.type !== undefined) {
    const types = Array.isArray(when.type) ? when.type : [when.type];
    if (!types.includes(event.type)) return false;
  }
  if (when.name !== undefined) {
    if (event.type !== 'track' || !globToRegExp(when.name).test(event.name)) return false;
  }
  if (when.path !== undefined && !globToRegExp(when.path).test(path)) return false;
  if (when.topic !== undefined) {
    const wanted = (Array.isArray(when.topic) ? when.topic : [when.topic]).map((t) => t.toLowerCase());
    if (!event.topics?.some((t) => wanted.includes(t))) return false;
  }
  if (when.props !== undefined) {
    for (const [key, expected] of Object.entries(when.props)) {
      const actual = event.props && Object.hasOwn(event.props, key) ? event.props[key] : undefined;
      const ok = Array.isArray(actual) ? actual.includes(expected) : actual === expected;
      if (!ok) return false;
    }
  }
  return true;
}
