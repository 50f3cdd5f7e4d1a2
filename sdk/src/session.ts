/** Sessions end after 30 minutes without an event. Pure, so the window is unit-tested. */
import { isId } from './ids';

export const SESSION_MS = 30 * 60 * 1000;
export type Session = { id: string; at: number };

/**
 * The session an event at `now` belongs to: the previous one if it was active within the window
 * (and its clock is sane), else a new one.
 * @example touchSession({ id: 's1', at: 0 }, 60_000, () => 's2') // { id: 's1', at: 60000 }
 */
export function touchSession(prev: Session | null | undefined, now: number, newId: () => string): Session {
  return { id: prev && Math.abs(now - prev.at) < SESSION_MS && isId(prev.id) ? prev.id : newId(), at: now };
}
