/**
 * The anonymous id (first-party cookie + localStorage, so either one surviving keeps the visitor),
 * the session id, and the person the Worker last said this anonymous id is linked to (storage only,
 * no cookie: every answer repeats it). Nothing is written while `canStore()` is false; ids then live in memory.
 */
import { isId, uuid } from './ids';
import { touchSession, type Session } from './session';
import { getCookie, setCookie, type KV } from './storage';

const AID = 'le_aid';
const SID = 'le_sid';
const PID = 'le_pid';
const YEAR = 365 * 24 * 3600;

export type Identity = ReturnType<typeof createIdentity>;

/** A person id as the Worker writes them (PERSON_ID_PATTERN): anything else is never stored or sent (the Worker would refuse the batch). */
const isPerson = (v: unknown): v is string => typeof v === 'string' && /^p~[0-9a-f]{32}$/.test(v);

export function createIdentity(kv: KV, useCookie: boolean, canStore: () => boolean) {
  const stored = [useCookie ? getCookie(AID) : null, kv.get(AID)].find(isId);
  let aid = stored ?? uuid();
  /** The person belongs to the anonymous id (one stored without it is stale); checked when read. */
  let person: unknown = stored && kv.get(PID);
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
  /** Linked to person `p`, or (anything but a person id) to nobody; kept only while storage is allowed. */
  const link = (p?: unknown) => {
    person = canStore() && p;
    if (isPerson(person)) kv.set(PID, person);
    else kv.del(PID);
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
    /** The person hint for a batch of `anonymousId`'s events: none for an earlier anonymous id (before reset()). */
    person: (anonymousId: string): string | undefined => (anonymousId === aid && isPerson(person) && person) || undefined,
    /** What the Worker answered for this anonymous id: linked to `p`, or (absent) to nobody. */
    link,
    reset() {
      aid = uuid();
      session = null;
      kv.del(SID);
      link();
      save();
    },
    /** Deletes the stored ids (the cookie too, even in cookieless mode); true when an id was stored, i.e. this browser was tracked before. */
    erase(): boolean {
      const had = !!(getCookie(AID) || kv.get(AID));
      setCookie(AID, '', 0);
      kv.del(AID);
      kv.del(SID);
      link();
      return had;
    },
  };
}
