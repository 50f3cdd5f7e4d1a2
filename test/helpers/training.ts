/** Training rows and synthetic labelled leads for calibration tests. */
import type { TrainingRow } from '../../worker/calibration/training-row';
import { seededRandom } from '../../worker/calibration/split';

export function makeRow(overrides: Partial<TrainingRow> = {}): TrainingRow {
  return {
    id: `r-${Math.random().toString(36).slice(2)}`,
    origin: 'import',
    source: 'lost',
    at: Date.UTC(2026, 0, 1),
    counts: {},
    rules: {},
    topics: {},
    traits: {},
    recency: { daysSinceLastSeen: 0, activeDays: 0 },
    ...overrides,
  };
}

/** Poisson-like small counts. */
export function count(rand: () => number, mean: number): number {
  let n = 0;
  let p = Math.exp(-mean);
  let s = p;
  const u = rand();
  while (u > s && n < 20) {
    n += 1;
    p *= mean / n;
    s += p;
  }
  return n;
}

/**
 * Leads whose conversion follows a known logit:
 *   -2 + 1.5·min(pricing, 2) + 2·[VP title] + 1.2·min(calculator, 3) − 2·[occupation student]
 * `pricing` is a path rule (recorded in `rules`), the calculator a custom event no rule covers,
 * the occupation a custom trait no rule covers; `blog` page views carry no signal.
 */
export function syntheticLeads(n: number, seed: number): TrainingRow[] {
  const rand = seededRandom(seed);
  const rows: TrainingRow[] = [];
  for (let i = 0; i < n; i++) {
    const pricing = count(rand, 0.8);
    const calculator = count(rand, 0.6);
    const vp = rand() < 0.3;
    const student = rand() < 0.25;
    const blog = count(rand, 2);
    const z = -2 + 1.5 * Math.min(pricing, 2) + 2 * (vp ? 1 : 0) + 1.2 * Math.min(calculator, 3) - 2 * (student ? 1 : 0);
    const won = rand() < 1 / (1 + Math.exp(-z));
    rows.push(
      makeRow({
        id: `lead-${seed}-${i}`,
        source: won ? 'won' : 'lost',
        counts: { page_view: pricing + blog, identify: 1, ...(calculator ? { calculator_used: calculator } : {}) },
        rules: { ...(pricing ? { pricing: pricing } : {}), ...(blog ? { blog: blog } : {}) },
        traits: { title: vp ? 'VP Sales' : 'Analyst', email: '@acme.io', custom: { occupation: student ? 'student' : 'marketer' } },
      }),
    );
  }
  return rows;
}
