import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAbsoluteUrl } from '../../worker/schema/limits';

/** The WHATWG URL parser's verdict (workerd and Node both implement it). */
const parses = (u: string) => {
  try {
    new URL(u);
    return true;
  } catch {
    return false;
  }
};

const label = fc.oneof(
  fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,10}$/),
  fc.stringMatching(/^[0-9][a-zA-Z0-9-]{0,5}$/),
  fc.constantFrom('xn--abc', 'XN--nxasmq6b', 'xn--', '0x1f', '255', '999', '-', 'a-'),
);
const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
const port = fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 99_999 }).map((p) => `:${p}`), fc.constantFrom(':', ':0080', ':65535', ':65536'));
/** Anything after the host: control characters, spaces, backslashes, unicode, percent signs. */
const rest = fc.oneof(
  fc.constant(''),
  fc.tuple(fc.constantFrom('/', '?', '#', '\\', '@', ' ', ':', '.'), fc.string({ maxLength: 20, unit: 'binary' })).map(([a, b]) => a + b),
);
const scheme = fc.constantFrom('http://', 'https://', 'HTTPS://', 'http:/', 'ftp://', 'https://user:pw@');

describe('isAbsoluteUrl', () => {
  it('agrees with the URL parser on generated http(s) URLs, plain or not', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(scheme, host, port, rest, (s, h, p, r) => {
        const url = s + h + p + r;
        const ok = isAbsoluteUrl(url);
        expect(ok, url).toBe(parses(url));
        if (ok) accepted++;
        else refused++;
      }),
      { numRuns: 5_000 },
    );
    expect(accepted).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(100);
  });

  it('agrees with the URL parser on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: 'binary' }), (tail) => {
        for (const url of [tail, `https://${tail}`, `http://a.example${tail}`]) expect(isAbsoluteUrl(url), url).toBe(parses(url));
      }),
      { numRuns: 3_000 },
    );
  });

  it.each([
    ['https://www.example.com/pricing?utm=1#top', true],
    ['http://localhost:8787/', true],
    ['https://example.com:65536/', false],
    ['https://1.2.3.999/', false],
    ['https://xn--a.example/', parses('https://xn--a.example/')],
    ['not a url', false],
  ])('%s -> %s', (url, expected) => {
    expect(isAbsoluteUrl(url)).toBe(expected);
  });
});
