import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../worker/scoring/glob';
import { ruleMatches } from '../../worker/scoring/match';
import { makeEvent } from '../helpers/factories';

/** The RegExp the globs used to compile to (backtracking: fine as a reference on short inputs). */
function reference(glob: string): RegExp {
  const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${glob.split('**').map((part) => part.split('*').map(escape).join('[^/]*')).join('.*')}$`, 'i');
}

// Short strings over the characters that matter: stars, slashes, letters in both cases, RegExp
// metacharacters, and non-ASCII letters whose case the RegExp folded (or did not).
const chars = ['a', 'A', 'b', '/', '*', '.', '?', '-', 'é', 'É', 'ß', 'ſ', 'K', '\u212a', '(', '\\'];
const textChars = chars.filter((c) => c !== '*');
const globArb = fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map((a) => a.join(''));
const textArb = fc.array(fc.constantFrom(...textChars), { maxLength: 16 }).map((a) => a.join(''));

describe('globs', () => {
  it('* stays in a segment, ** crosses segments, case is ignored', () => {
    expect(compileGlob('/blog/*').test('/blog/intro')).toBe(true);
    expect(compileGlob('/blog/*').test('/blog/2024/intro')).toBe(false);
    expect(compileGlob('/blog/**').test('/blog/2024/intro')).toBe(true);
    expect(compileGlob('/blog/**').test('/blog')).toBe(false);
    expect(compileGlob('/Pricing').test('/pricing')).toBe(true);
    expect(compileGlob('/a.b').test('/aXb')).toBe(false);
    expect(compileGlob('calc*').test('calculator_used')).toBe(true);
    expect(compileGlob('/docs/*/intro').test('/docs/v2/intro')).toBe(true);
    expect(compileGlob('/docs/*/intro').test('/docs/v2/x/intro')).toBe(false);
    expect(compileGlob('**').test('')).toBe(true);
  });

  it('match exactly what the RegExp they replace matched, on generated globs and paths', () => {
    fc.assert(
      fc.property(globArb, textArb, (glob, text) => {
        expect(compileGlob(glob).test(text)).toBe(reference(glob).test(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('match exactly what the RegExp matched for globs longer than 30 tokens too (the other automaton)', () => {
    const pad = '/Seg*'.repeat(7);
    fc.assert(
      fc.property(globArb, textArb, fc.array(fc.constantFrom('/seg', '/SEGx', '/s'), { minLength: 7, maxLength: 8 }), (glob, text, segs) => {
        const long = `${pad}${glob}`;
        for (const t of [`${segs.join('')}${text}`, `${pad.replaceAll('*', 'x')}${text}`]) {
          expect(compileGlob(long).test(t)).toBe(reference(long).test(t));
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('match exactly what the RegExp matched on arbitrary text, including texts built from the glob', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 10 }), (glob, noise) => {
        // A text built from the glob's own literal parts, so matches happen often, and arbitrary text.
        const built = glob.replace(/\*+/g, noise);
        expect(compileGlob(glob).test(built)).toBe(reference(glob).test(built));
        expect(compileGlob(glob).test(noise)).toBe(reference(glob).test(noise));
      }),
      { numRuns: 5_000 },
    );
  });

  it('answers the glob that took 52 s before (/**a**a**a**a**a**a**a**b on a 61-character path)', () => {
    const glob = '/**a**a**a**a**a**a**a**b';
    const path = `/${'a'.repeat(60)}`;
    const rule = { id: 'slow', when: { type: 'page_view' as const, path: glob }, points: 1, cooldownMinutes: 0 };
    // The RegExp backtracked through every way of placing seven `a`s: this test timed out.
    expect(ruleMatches(rule, makeEvent({ type: 'page_view', path }), path)).toBe(false);
    expect(ruleMatches(rule, makeEvent({ type: 'page_view', path: `${path}b` }), `${path}b`)).toBe(true);
    const name = { id: 'slow-name', when: { type: 'track' as const, name: '**a**a**a**a**a**a**a**b' }, points: 1, cooldownMinutes: 0 };
    expect(ruleMatches(name, makeEvent({ type: 'track', name: 'a'.repeat(64) } as never), '/')).toBe(false);
  });
});
