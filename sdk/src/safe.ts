/** The SDK never throws into the host page: every entry point runs through `safe`. */
import { DEBUG, warn } from './debug';

export function safe<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R | undefined {
  return (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      DEBUG && warn('ignored an error', e);
      return undefined;
    }
  };
}
