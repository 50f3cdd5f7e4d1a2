/**
 * The outbox: events not yet acknowledged by the Worker, in memory and in IndexedDB (idb-keyval),
 * so events captured offline or lost to a closed tab are sent on the next page load. Bounded:
 * past `max`, the oldest are dropped and counted.
 */
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { bounded, type Item } from './batch';
import { DEBUG, warn } from './debug';

export type Queue = ReturnType<typeof createQueue>;

export function createQueue(key: string, max: number, canStore: () => boolean) {
  let store: UseStore | undefined;
  let dropped = 0;
  const items: Item[] = [];
  const ids = (list: Item[]) => new Set(list.map((i) => i.e.id));
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
    if (canStore()) void write((old) => bounded([...old, item], max));
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
    /** Stores what was held in memory before consent. */
    persist: () => items.splice(0).forEach(add),
    /** Loads events left by earlier pages (or other tabs); resolves to how many were added. */
    async restore(): Promise<number> {
      if (!canStore()) return 0;
      const have = ids(items);
      const fresh = (await write((old) => old)).filter((i) => i?.e && !have.has(i.e.id));
      replace([...fresh, ...items]);
      return fresh.length;
    },
    clear() {
      items.length = 0;
      void write(() => []);
    },
  };
}
