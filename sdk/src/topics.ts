/** Interests: `<meta name="le:topic">` and `data-le-topic` on the page root, plus the nearest one around a clicked element. */
import { cleanTopics } from './sanitize';

export function pageTopics(near?: Element | null): string[] {
  const lists: (string | null | undefined)[] = [];
  document
    .querySelectorAll('meta[name="le:topic"],html[data-le-topic],body[data-le-topic]')
    .forEach((m) => lists.push(m.getAttribute('content') ?? m.getAttribute('data-le-topic')));
  lists.push(near?.closest('[data-le-topic]')?.getAttribute('data-le-topic'));
  return cleanTopics(lists);
}
