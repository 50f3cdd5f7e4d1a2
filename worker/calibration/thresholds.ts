/**
 * Stage thresholds for a target precision ("80% of SQLs should convert"): the lowest score that
 * reaches it, which is the one that keeps the most converters. Demo requesters are SQL whatever
 * their score (stages.ts), so they are always part of the selection. Pure.
 */

export type ThresholdPoint = { score: number; demo: boolean; y: number; w: number };

export type ThresholdChoice = {
  threshold: number;
  /** Measured on the rows the threshold was chosen on. */
  precision: number | null;
  recall: number | null;
  selected: number;
  met: boolean;
};

/**
 * @param unit thresholds are multiples of this (1 for integer points)
 * @example chooseThreshold(points, 0.8, 1) // { threshold: 85, precision: 0.81, recall: 0.42, selected: 31, met: true }
 */
export function chooseThreshold(points: ThresholdPoint[], target: number, unit: number, minSelected = 5): ThresholdChoice {
  let posTotal = 0;
  let tp = 0;
  let sel = 0;
  let count = 0;
  for (const p of points) {
    if (p.y === 1) posTotal += p.w;
    if (p.demo) {
      sel += p.w;
      count += 1;
      if (p.y === 1) tp += p.w;
    }
  }
  const rest = points.filter((p) => !p.demo).sort((a, b) => b.score - a.score);
  const top = rest.length > 0 ? rest[0]!.score : 0;
  // "Above everyone": only demo requesters are selected.
  const floorTo = (s: number) => Math.floor(s / unit + 1e-9) * unit;
  const choice = (threshold: number): ThresholdChoice => ({
    threshold: round(threshold, unit),
    precision: sel > 0 ? tp / sel : null,
    recall: posTotal > 0 ? tp / posTotal : null,
    selected: count,
    met: sel > 0 && tp / sel >= target,
  });
  const candidates: ThresholdChoice[] = [choice(floorTo(top) + unit)];
  for (let i = 0; i < rest.length; ) {
    const s = rest[i]!.score;
    while (i < rest.length && rest[i]!.score === s) {
      const p = rest[i]!;
      sel += p.w;
      count += 1;
      if (p.y === 1) tp += p.w;
      i++;
    }
    const next = i < rest.length ? rest[i]!.score : -Infinity;
    // The threshold sits on the unit grid, at or below s and above the next lower score when it can.
    const t = floorTo(s);
    if (t > next || next === -Infinity) candidates.push(choice(t));
  }
  const enough = candidates.filter((c) => c.selected >= minSelected);
  const meeting = enough.filter((c) => c.met);
  if (meeting.length > 0) return meeting[meeting.length - 1]!;
  const pool = enough.length > 0 ? enough : candidates;
  return pool.reduce((best, c) => ((c.precision ?? -1) > (best.precision ?? -1) ? c : best));
}

function round(n: number, unit: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(unit) + 1e-9));
  return Number(n.toFixed(decimals));
}
