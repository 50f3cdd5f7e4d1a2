/**
 * The anonymous id (first-party cookie + localStorage, so either one surviving keeps the visitor)
 * and the session id. Nothing is written while `canStore()` is false; ids then live in memory.
 */
import { isId, uuid } from './ids';
import { touchSession, type Session } from './session';
import { getCookie, setCookie, type KV } from './storage';

const AID = 'le_aid';
const SID = 'le_sid';
const YEAR = 365 * 24 * 3600;

export type Identity = ReturnType<typeof createIdentity>;

export function createIdentity(kv: KV, useCookie: boolean, canStore: () => boolean) {
  const stored = [useCookie ? getCookie(AID) : null, kv.get(AID)].find(isId);
  let aid = stored ?? uuid();
  let session: Session | null = null;
  try {
    session = JSON.parse(kv.get(SID)!);
  } catch {
    /* unreadable: a new session */
  }

  const save = () => {
    if (!canStore()) return;
    if (useCookie) setCookie(AID, aid, YEAR);
    kv.set(AID, aid);
    if (session) kv.set(SID, JSON.stringify(session));
  };

  return {
    aid: () => aid,
    /** The session id for an event at `now`; extends the session. */
    session(now: number): string {
      session = touchSession(session, now, uuid);
      if (canStore()) kv.set(SID, JSON.stringify(session));
      return session.id;
    },
    save,
    reset() {
      aid = uuid();
      session = null;
      kv.del(SID);
      save();
    },
    /** Deletes the stored ids (the cookie too, even in cookieless mode); true when an id was stored, i.e. this browser was tracked before. */
    erase(): boolean {
      const had = !!(getCookie(AID) || kv.get(AID));
      setCookie(AID, '', 0);
      kv.del(AID);
      kv.del(SID);
      return had;
    },
  };
}
