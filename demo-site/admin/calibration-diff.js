// The calibration panel's diff: what a proposal changes in the config document, line by line.
// Pure (no DOM), so it is unit-tested in Node.

/**
 * Line diff of two texts (longest common subsequence): `[{ op: ' ' | '-' | '+', line }]`.
 * Texts are config documents (a few hundred lines), so the quadratic table is fine.
 * @example lineDiff('a\nb', 'a\nc') // [{op:' ',line:'a'},{op:'-',line:'b'},{op:'+',line:'c'}]
 */
export function lineDiff(before, after) {
  const a = before.split('\n');
  const b = after.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i++] });
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: '-', line: a[i++] });
    else out.push({ op: '+', line: b[j++] });
  }
  while (i < n) out.push({ op: '-', line: a[i++] });
  while (j < m) out.push({ op: '+', line: b[j++] });
  return out;
}

/**
 * Keeps changed lines with `context` unchanged lines around them; gaps become `{ op: '…', skipped }`.
 */
export function withContext(diff, context = 2) {
  const keep = diff.map((d) => d.op !== ' ');
  const near = diff.map((_, k) => keep.slice(Math.max(0, k - context), k + context + 1).some(Boolean));
  const out = [];
  let skipped = 0;
  diff.forEach((d, k) => {
    if (near[k]) {
      if (skipped) out.push({ op: '…', skipped });
      skipped = 0;
      out.push(d);
    } else skipped++;
  });
  if (skipped) out.push({ op: '…', skipped });
  return out;
}

/** The diff of two config documents as pretty-printed JSON. */
export const configDiff = (current, proposal, context = 2) => withContext(lineDiff(JSON.stringify(current, null, 2), JSON.stringify(proposal, null, 2)), context);
