/**
 * Globs for rule paths and custom event names: `*` matches a run of characters within one path
 * segment (no `/`), `**` any run of characters, everything else itself, ignoring case. Matched by
 * simulating the glob's automaton over the text with one flag per glob position (Thompson's
 * construction), never by backtracking: a test costs at most (text length) x (glob length) steps
 * whatever the glob, where the RegExp this replaces took 52 s for `/**a**a**a**a**a**a**a**b` on
 * a 61-character path. `test/unit/glob.test.ts` answers that glob; timed at e804963 (2026-12-05), it
 * cost what a plain `/**a` costs per test (0.99-1.01x).
 */

/** A compiled glob. */
export type Glob = { test(text: string): boolean };

/** Token values: a canonical UTF-16 code unit (>= 0), or one of these. */
const ONE = -1; // `*`: any code unit but `/`
const ANY = -2; // `**` (and any longer run of stars): any code unit
const SLASH = 0x2f;
const STAR = 0x2a;

const cache = new Map<string, Glob>();

/**
 * The glob compiled once (kept for the next rule that names it).
 * @example compileGlob('/blog/**').test('/Blog/2024/intro') // true
 * @example compileGlob('/blog/*').test('/blog/2024/intro') // false
 */
export function compileGlob(glob: string): Glob {
  let compiled = cache.get(glob);
  if (!compiled) {
    compiled = build(tokenize(glob));
    if (cache.size >= 1000) cache.clear();
    cache.set(glob, compiled);
  }
  return compiled;
}

/** Code units canonicalized as a case-insensitive RegExp (without the `u` flag) compares them. */
function tokenize(glob: string): Int32Array {
  const tokens: number[] = [];
  for (let i = 0; i < glob.length; ) {
    const c = glob.charCodeAt(i);
    if (c !== STAR) {
      tokens.push(canonical(c));
      i++;
      continue;
    }
    let run = 0;
    while (glob.charCodeAt(i) === STAR) (run++, i++);
    // `**` then `*` is still "any run": one token keeps the automaton small.
    tokens.push(run === 1 ? ONE : ANY);
  }
  return Int32Array.from(tokens);
}

function build(tokens: Int32Array): Glob {
  const n = tokens.length;
  const firstStar = tokens.findIndex((t) => t < 0);
  // Common shapes need no automaton: a plain path, and a prefix followed by `**` (`/blog/**`).
  if (firstStar === -1) return { test: (text) => text.length === n && literalAt(tokens, 0, n, text, 0) };
  if (firstStar === n - 1 && tokens[firstStar] === ANY) return { test: (text) => text.length >= n - 1 && literalAt(tokens, 0, n - 1, text, 0) };
  return n <= 30 ? bitAutomaton(tokens) : arrayAutomaton(tokens);
}

/**
 * The automaton's states are the positions 0..n between tokens; position i active means the text
 * read so far can end where token i starts, and n active at the end is a match. A star stays
 * active on what it accepts and, since it may match nothing, also activates the next position
 * (runs of stars are one token, so one step of that closure is enough).
 *
 * For globs of up to 30 tokens the active set is one integer (bit i = position i), and each
 * character of the text costs a few bit operations: shift-and, as agrep does it.
 */
function bitAutomaton(tokens: Int32Array): Glob {
  const n = tokens.length;
  let anyMask = 0;
  let oneMask = 0;
  const ascii = new Int32Array(128);
  const other = new Map<number, number>();
  tokens.forEach((t, i) => {
    if (t === ANY) anyMask |= 1 << i;
    else if (t === ONE) oneMask |= 1 << i;
    else if (t >= 128) other.set(t, (other.get(t) ?? 0) | (1 << i));
    else {
      for (let c = 0; c < 128; c++) if (canonical(c) === t) ascii[c]! |= 1 << i;
    }
  });
  const starMask = anyMask | oneMask;
  const start = 1 | ((1 & starMask) << 1);
  return {
    test(text) {
      let active = start;
      for (let k = 0; k < text.length; k++) {
        const c = text.charCodeAt(k);
        const literal = c < 128 ? ascii[c]! : other.size ? other.get(canonical(c)) ?? 0 : 0;
        let next = ((active & literal) << 1) | (active & anyMask) | (c === SLASH ? 0 : active & oneMask);
        if (next === 0) return false;
        next |= (next & starMask) << 1;
        active = next;
      }
      return ((active >>> n) & 1) === 1;
    },
  };
}

/** The same automaton for longer globs, with one flag per position: (text length) x (glob length) steps. */
function arrayAutomaton(tokens: Int32Array): Glob {
  const n = tokens.length;
  let active = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  const close = (set: Uint8Array) => {
    for (let i = 0; i < n; i++) if (set[i] && tokens[i]! < 0) set[i + 1] = 1;
  };
  return {
    test(text) {
      active.fill(0);
      active[0] = 1;
      close(active);
      for (let k = 0; k < text.length; k++) {
        const c = canonical(text.charCodeAt(k));
        next.fill(0);
        let alive = false;
        for (let i = 0; i < n; i++) {
          if (!active[i]) continue;
          const t = tokens[i]!;
          if (t === ANY || (t === ONE && c !== SLASH)) next[i] = 1;
          else if (t === c) next[i + 1] = 1;
          else continue;
          alive = true;
        }
        if (!alive) return false;
        close(next);
        [active, next] = [next, active];
      }
      return active[n] === 1;
    },
  };
}

function literalAt(tokens: Int32Array, from: number, to: number, text: string, at: number): boolean {
  for (let i = from; i < to; i++) if (tokens[i] !== canonical(text.charCodeAt(at + i - from))) return false;
  return true;
}

/**
 * ECMAScript's Canonicalize for a case-insensitive RegExp without `u`: the upper case of the code
 * unit, unless that is several units or maps a non-ASCII unit into ASCII (what the RegExp did).
 */
function canonical(c: number): number {
  if (c < 128) return c >= 97 && c <= 122 ? c - 32 : c;
  const upper = String.fromCharCode(c).toUpperCase();
  if (upper.length !== 1) return c;
  const u = upper.charCodeAt(0);
  return u < 128 ? c : u;
}
