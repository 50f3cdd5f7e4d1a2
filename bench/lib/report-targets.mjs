/** The targets, shared by the report and its reading. */
export const INGEST_TARGET = 1.5;
export const HANDOFF_TARGET_MS = 100;
export const GROWTH_TARGET = 1.2;
/** Raised from 5,120 B for people, engaged time and CTA impressions (DEVELOPERS.md); the size test enforces the same. */
export const SDK_BUDGET_GZIP = 6 * 1024;
