/**
 * The outbox: events not yet acknowledged by the Worker, in memory and in IndexedDB (idb-keyval),
 * so events captured offline or lost to a closed tab are sent on the next page load. Bounded:
 * past `max`, the oldest are dropped and counted; an event whose sends failed MAX_ATTEMPTS times
 * is given up and counted.
 */
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { bounded, type Item } from './batch';
import { MAX_ATTEMPTS } from './config';
import { DEBUG, warn } from './debug';

export type Queue = ReturnType<typeof createQueue>;

export function createQueue(key: string, max: number, canStore: () => boolean) {
  let store: UseStore | undefined;
  let dropped = 0;
  let givenUp = 0;
  /** Bumped by clear(), so a restore() that began before it cannot bring the cleared events back. */
  let epoch = 0;
  const items: Item[] = [];
  const ids = (list: Item[]) => new Set(list.map((i) => i.e.id));
  const live = (i: Item) => (i.n || 0) < MAX_ATTEMPTS;
  /** One read-modify-write transaction, so tabs writing at once do not lose each other's events. */
  const write = (fn: (old: Item[]) => Item[]): Promise<Item[]> =>
    new Promise<UseStore>((ok) => ok((store ??= createStore('leadedge', 'queue'))))
      .then((s) =>
        s('readwrite', (os) => {
          let old: Item[] = [];
          const req = os.get(key);
          req.onsuccess = () => os.put(fn((old = req.result ?? [])), key);
          return promisifyRequest(os.transaction).then(() => old);
        }),
      )
      .catch(() => (DEBUG && warn('IndexedDB unavailable: the queue is kept in memory'), []));
  const replace = (list: Item[]) => {
    const kept = bounded(list, max);
    if (kept.length < list.length) DEBUG && warn(`queue full: dropped the oldest events (${(dropped += list.length - kept.length)} so far)`);
    items.splice(0, items.length, ...kept);
  };

  const add = (item: Item) => {
    replace([...items, item]);
    // Never twice (persist() after a second consent('granted') adds what is already stored).
    if (canStore()) void write((old) => bounded([...old.filter((i) => i.e.id !== item.e.id), item], max));
  };

  return {
    items,
    add,
    /**
     * Out of the queue: from memory and IndexedDB when delivered or refused; from memory only
     * (`keepStored`) when handed to sendBeacon, so a later page load re-sends it in case it was lost.
     */
    remove(done: Item[], keepStored?: boolean) {
      const gone = ids(done);
      replace(items.filter((i) => !gone.has(i.e.id)));
      if (canStore() && !keepStored) void write((old) => old.filter((i) => !gone.has(i.e.id)));
    },
    /** One more failed send for `failed` (counted in memory and IndexedDB); those at MAX_ATTEMPTS leave the queue. */
    fail(failed: Item[]) {
      const byId = new Map(failed.map((i) => [i.e.id, ((i.n = (i.n || 0) + 1), i)] as const));
      if (DEBUG && !failed.every(live)) warn(`gave up on events after ${MAX_ATTEMPTS} failed sends (${(givenUp += failed.filter((i) => !live(i)).length)} so far)`);
      replace(items.filter(live));
      if (canStore()) void write((old) => old.map((i) => byId.get(i.e.id) ?? i).filter(live));
    },
    /** Stores what was held in memory before consent. */
    persist: () => items.splice(0).forEach(add),
    /** Loads events left by earlier pages (or other tabs); resolves to how many were added. */
    async restore(): Promise<number> {
      if (!canStore()) return 0;
      const at = epoch;
      const have = ids(items);
      const fresh = (await write((old) => old)).filter((i) => i?.e && !have.has(i.e.id) && have.add(i.e.id));
      if (at !== epoch) return 0;
      replace([...fresh, ...items]);
      return fresh.length;
    },
    /** Forgets every queued event, in memory and in IndexedDB. */
    clear() {
      epoch++;
      items.length = 0;
      void write(() => []);
    },
  };
}
