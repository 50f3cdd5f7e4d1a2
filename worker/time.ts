/** Time units and formats used across the Worker, written once. */

export const DAY_MS = 24 * 3600 * 1000;

/**
 * The UTC day of a time, as YYYY-MM-DD (funnel days, first-visit days).
 * @example isoDay(Date.UTC(2026, 11, 5, 23)) // '2026-12-05'
 */
export const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A time as the admin API shows it (ISO 8601), keeping null for "never". */
export function isoTime(ms: number): string;
export function isoTime(ms: number | null): string | null;
export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
