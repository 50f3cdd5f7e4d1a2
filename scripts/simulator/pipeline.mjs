/**
 * Runs simulated visitors through the Worker's own pure pipeline (applyBatch: aggregates, scoring,
 * stages), batch by batch as the visitor object would, and labels each identified visitor with its
 * outcome a week after its last visit. Imported as TypeScript through esbuild (see run.mjs).
 */
import { trainingRow } from '../../worker/calibration/training-row';
import { computeScore } from '../../worker/scoring/score';
import { applyBatch, newVisitorState } from '../../worker/visitor/apply-batch';

const DAY = 24 * 3600 * 1000;
const RANK = { anonymous: 0, known: 1, mql: 2, sql: 3 };

/**
 * @returns per identified visitor: the stage it reached, its score when labelled, and its training row
 */
export function runPipeline(visitors, config) {
  const out = [];
  for (const v of visitors) {
    let state = newVisitorState('sim', v.id, v.sessions[0]?.[0]?.ts ?? 0);
    let reached = 'anonymous';
    v.sessions.forEach((events, s) => {
      if (events.length === 0) return;
      const withIds = events.map((e, k) => ({ ...e, id: `${v.id}-${s}-${k}` }));
      const at = withIds[withIds.length - 1].ts + 1000;
      state = applyBatch(state, withIds, at, config, at).state;
      if (RANK[state.stage] > RANK[reached]) reached = state.stage;
    });
    if (state.stage === 'anonymous') continue;
    const labelAt = v.lastAt + 7 * DAY;
    out.push({
      id: v.id,
      persona: v.persona,
      won: v.won,
      stage: reached,
      score: computeScore(state.aggregates, config, labelAt).total,
      row: trainingRow(v.id, state.aggregates, config, v.won ? 'won' : 'lost', labelAt),
    });
  }
  return out;
}
