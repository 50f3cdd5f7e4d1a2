/** Cookie and Web Storage access that never throws (storage can be blocked, full or missing). */

export type KV = { get(k: string): string | null; set(k: string, v: string): void; del(k: string): void };

export function webStorage(kind: 'localStorage' | 'sessionStorage'): KV {
  const run = <T>(fn: (st: Storage) => T): T | null => {
    try {
      return fn(window[kind]);
    } catch {
      return null;
    }
  };
  return {
    get: (k) => run((st) => st.getItem(k)),
    set: (k, v) => void run((st) => st.setItem(k, v)),
    del: (k) => void run((st) => st.removeItem(k)),
  };
}

/**
 * @example readCookie('a=1; le_aid=x-1', 'le_aid') // 'x-1'
 */
export function readCookie(cookies: string, name: string): string | null {
  return cookies.split('; ').find((c) => c.startsWith(name + '='))?.slice(name.length + 1) ?? null;
}

/** Writes a first-party, host-only cookie (SameSite=Lax, Secure on https); maxAge 0 deletes it. Ids need no encoding. */
export function setCookie(name: string, value: string, maxAgeSeconds: number): void {
  try {
    document.cookie = `${name}=${value}; path=/; max-age=${maxAgeSeconds}; SameSite=Lax${location.protocol === 'https:' ? '; Secure' : ''}`;
  } catch {
    /* cookies blocked */
  }
}

export function getCookie(name: string): string | null {
  try {
    return readCookie(document.cookie, name);
  } catch {
    return null;
  }
}
