/**
 * Where webhooks may go: https only in production; http only to localhost in local dev; never to
 * private, loopback or link-local addresses in production (no requests into someone's network).
 *
 * Hosts are judged as `new URL` (the parser fetch uses, in workerd and Node alike) normalizes them:
 * IPv4 written as `2130706433`, `0x7f.1` or `127.1` arrives as `127.0.0.1`, IPv6 in compressed
 * lowercase form (`[::127.0.0.1]` as `[::7f00:1]`), full-width and percent-encoded names decoded.
 * A trailing dot is kept by the parser (`localhost.` is a fully qualified `localhost`), so names are
 * checked without it.
 */

const LOCAL_DEV_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Names that resolve inside a network (RFC 6761 localhost, mDNS, cloud metadata and home networks). */
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa'];
const PRIVATE = 'a private, loopback or link-local address';

/** A reason the URL is refused, or null when it is allowed. */
export function webhookUrlProblem(raw: string, dev: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not an absolute URL';
  }
  if (url.username || url.password) return 'credentials in the URL are not allowed; use the signing secret';
  const host = url.hostname.toLowerCase();
  const name = host.replace(/\.+$/, '');
  if (dev && url.protocol === 'http:' && LOCAL_DEV_HOSTS.has(name)) return null;
  if (url.protocol !== 'https:') {
    return dev ? 'use https (plain http is allowed only to localhost in local dev)' : 'webhook URLs must use https';
  }
  if (dev && LOCAL_DEV_HOSTS.has(name)) return null;
  if (!name) return 'the URL has no host name';
  if (host.startsWith('[')) {
    const problem = ipv6Problem(host.slice(1, -1));
    return problem && `"${host}" is ${problem}`;
  }
  if (name === 'localhost' || LOCAL_SUFFIXES.some((s) => name.endsWith(s))) return `"${host}" is a local name`;
  const v4 = parseIPv4(name);
  if (v4 && isPrivateIPv4(v4)) return `"${host}" is ${PRIVATE}`;
  return null;
}

/** The four bytes of a dotted-quad IPv4 address, or null. */
export function parseIPv4(text: string): number[] | null {
  const m = text.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return null;
  const bytes = m.slice(1, 5).map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

/** Addresses that are not on the public internet: this network, private, loopback, CGNAT, link-local, reserved, benchmarking, documentation, multicast. */
export function isPrivateIPv4([a, b, c]: number[]): boolean {
  return (
    a === 0 || a === 10 || a === 127 ||
    (a === 100 && b! >= 64 && b! <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a! >= 224
  );
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a trailing dotted IPv4 as two groups), or null. */
export function parseIPv6(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string, last: boolean): number[] | null => {
    if (part === '') return [];
    const items = part.split(':');
    const out: number[] = [];
    for (const [i, item] of items.entries()) {
      if (last && i === items.length - 1 && item.includes('.')) {
        const v4 = parseIPv4(item);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!, halves.length === 1);
  if (halves.length === 1) return head?.length === 8 ? head : null;
  const tail = groupsOf(halves[1]!, true);
  if (!head || !tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * Why an IPv6 literal is refused ("is …"), or null. Forms that embed an IPv4 address (mapped,
 * compatible, translated, 6to4) are refused when that address is private; NAT64 and Teredo are
 * refused whatever they embed (a translator or relay would carry the request on, and a webhook
 * receiver has no reason to be written that way); so is everything outside global unicast 2000::/3.
 */
export function ipv6Problem(text: string): string | null {
  const g = parseIPv6(text);
  if (!g) return 'not a valid IPv6 address';
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const v4 = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  const embedding = (kind: string, bytes: number[]) => (isPrivateIPv4(bytes) ? `${kind} of ${bytes.join('.')}, ${PRIVATE}` : null);

  if (zero(0, 8)) return 'the unspecified address';
  if (zero(0, 7) && g[7] === 1) return 'the loopback address';
  if (zero(0, 5) && g[5] === 0xffff) return embedding('an IPv4-mapped address', v4(g[6]!, g[7]!));
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return embedding('an IPv4-translated address', v4(g[6]!, g[7]!));
  if (zero(0, 6)) return embedding('an IPv4-compatible address', v4(g[6]!, g[7]!));
  if (g[0] === 0x64 && g[1] === 0xff9b && (zero(2, 6) || g[2] === 1)) return 'a NAT64 address (refused whatever IPv4 address it embeds)';
  if (g[0] === 0x2002) return embedding('a 6to4 address', v4(g[1]!, g[2]!));
  if (g[0] === 0x2001 && g[1] === 0) return 'a Teredo address (refused whatever it embeds)';
  if ((g[0] === 0x2001 && g[1] === 0xdb8) || (g[0] === 0x3fff && g[1]! < 0x1000)) return 'a documentation address';
  if ((g[0]! & 0xff00) === 0xff00) return 'a multicast address';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'a link-local address';
  if ((g[0]! & 0xffc0) === 0xfec0) return 'a site-local address';
  if ((g[0]! & 0xfe00) === 0xfc00) return 'a unique-local (private) address';
  if ((g[0]! & 0xe000) !== 0x2000) return 'not a global unicast address (outside 2000::/3)';
  return null;
}
