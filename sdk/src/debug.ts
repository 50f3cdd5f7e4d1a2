/**
 * Debug logging. The production script tag is built with `__DEBUG__` false, so every
 * `DEBUG && log(...)` call and its strings are removed; /sdk.debug.js and the ESM build keep them.
 */
declare const __DEBUG__: boolean | undefined;
export const DEBUG: boolean = typeof __DEBUG__ === 'undefined' || !!__DEBUG__;

let enabled = false;
export function setDebug(on: boolean): void {
  enabled = on;
}

export function log(...args: unknown[]): void {
  if (enabled) console.log('[leadedge]', ...args);
}

export function warn(...args: unknown[]): void {
  if (enabled) console.warn('[leadedge]', ...args);
}
