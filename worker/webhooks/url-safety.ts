/**
 * Where webhooks may go: https only in production; http only to localhost in local dev; never to
 * private, loopback or link-local addresses in production (no requests into someone's network).
 */

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

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
  if (dev && url.protocol === 'http:' && LOCAL_HOSTS.has(host)) return null;
  if (url.protocol !== 'https:') {
    return dev ? 'use https (plain http is allowed only to localhost in local dev)' : 'webhook URLs must use https';
  }
  if (dev && LOCAL_HOSTS.has(host)) return null;
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
    return `"${host}" is a local name`;
  }
  if (isPrivateIPv4(host) || isPrivateIPv6(host)) return `"${host}" is a private, loopback or link-local address`;
  return null;
}

function isPrivateIPv4(host: string): boolean {
  const m = host.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 || a === 10 || a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function isPrivateIPv6(host: string): boolean {
  if (!host.startsWith('[')) return false;
  const ip = host.slice(1, -1);
  if (ip === '::' || ip === '::1') return true;
  const mapped = ip.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return isPrivateIPv4(mapped[1]!);
  if (/^::ffff:/.test(ip)) return true;
  return /^f[cd]/.test(ip) || /^fe[89ab]/.test(ip) || /^ff/.test(ip);
}
