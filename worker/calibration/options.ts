/** What a marketer can set for a calibration, with its defaults, and the data it needs at least. */
import { z } from 'zod';

/** Fewer labelled leads than this, or fewer of either class, and the request is refused (422). */
export const MIN_ROWS = 40;
export const MIN_PER_CLASS = 10;
/** L2 strengths tried by 3-fold cross-validation when the request does not set `l2`. */
export const L2_GRID = [0.3, 1, 3, 10, 30];
/** Cross-validation runs on at most this many training rows (a seeded sample); the final fit uses all. */
export const CV_MAX_ROWS = 3000;

export const CalibrateOptionsSchema = z
  .object({
    /** Share of converters among the leads a stage selects, on the training rows. Default MQL 0.5, SQL 0.8. */
    targetPrecision: z
      .object({
        mql: z.number().min(0.01).max(0.99).default(0.5),
        sql: z.number().min(0.01).max(0.99).default(0.8),
      })
      .strict()
      .default({ mql: 0.5, sql: 0.8 }),
    /** Share of labelled leads held out for the side-by-side evaluation. Default 0.25. */
    holdout: z.number().min(0.1).max(0.5).default(0.25),
    /** Seed of the holdout split: the same rows, seed and options give the same proposal. Default 1. */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
    /** L2 strength pulling weights toward the current points (new rules: toward 0). Default: cross-validated. */
    l2: z.number().min(1e-4).max(1e4).optional(),
    /** Weight of a sales acceptance as a positive label (a won outcome weighs 1). 0 ignores acceptances. Default 0.5. */
    acceptedWeight: z.number().min(0).max(1).default(0.5),
    /** At most this many new rules are proposed. Default 10; 0 only re-weighs existing rules. */
    maxNewRules: z.number().int().min(0).max(20).default(10),
    /** A candidate rule needs at least this many training leads with it and without it. Default 10. */
    minSupport: z.number().int().min(3).max(10_000).default(10),
  })
  .strict();

export type CalibrateOptions = z.output<typeof CalibrateOptionsSchema>;
export type CalibrateOptionsInput = z.input<typeof CalibrateOptionsSchema>;

/** A dataset calibration cannot learn from: the route answers 422 with this code and message. */
export class CalibrationError extends Error {
  constructor(
    readonly code: 'too_few_rows' | 'single_class' | 'too_few_per_class' | 'no_signal',
    message: string,
  ) {
    super(message);
  }
}
