/**
 * What a config save would do to existing leads before it is saved: from the leads index (each
 * row's score and fit as of its last refresh, at most a day old), how many leads the new
 * thresholds move to each stage. An estimate: the background pass re-scores every lead exactly.
 * Pure.
 */
import type { LeadSnapshot } from '../objects/leads-store';
import type { SiteConfig, Stage } from '../schema/config';
import { nextStage } from '../scoring/stages';

export type IndexRow = Pick<LeadSnapshot, 'stage' | 'score' | 'fit' | 'verdict'>;
export type RestagePreview = { leads: number; moves: { from: Stage; to: Stage; leads: number }[] };

/**
 * @example previewRestage([{ stage: 'known', score: 60, fit: 10, verdict: null }], config) // { leads: 1, moves: [{ from: 'known', to: 'mql', leads: 1 }] }
 */
export function previewRestage(rows: Iterable<IndexRow>, config: SiteConfig): RestagePreview {
  const counts = new Map<string, number>();
  let leads = 0;
  for (const row of rows) {
    const recycled = row.verdict?.action === 'recycle';
    const to = nextStage(row.stage, { score: row.score, fit: row.fit, known: true, demoRequested: false, recycled }, config);
    if (!to) continue;
    leads += 1;
    const key = `${row.stage}>${to}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const moves = [...counts].map(([key, n]) => {
    const [from, to] = key.split('>') as [Stage, Stage];
    return { from, to, leads: n };
  });
  return { leads, moves: moves.sort((a, b) => b.leads - a.leads) };
}

/** Whether a save can change who passes a stage (thresholds or scoring changed): only then is a pass worth running. */
export function changesStaging(previous: SiteConfig, next: SiteConfig): boolean {
  return JSON.stringify([previous.stages, previous.scoring]) !== JSON.stringify([next.stages, next.scoring]);
}
