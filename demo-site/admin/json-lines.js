// Maps the paths of a JSON document ("scoring.behavior.1.points") to the line they start on, so a
// validation issue from the API can be shown on its line.

/**
 * `pathLines('{\n  "a": [\n    1\n  ]\n}').get('a.0') // 3`
 * Object members map to the line of their key, array items to the line where they start; the root
 * is ''. Stops quietly at the first syntax error (whatever was read so far is returned).
 */
export function pathLines(text) {
  const lines = new Map();
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) if (text[i++] === '\n') line++;
  };
  const expect = (c) => {
    ws();
    if (text[i] !== c) throw new SyntaxError(`expected ${c}`);
    i++;
  };
  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const join = (path, key) => (path === '' ? String(key) : `${path}.${key}`);

  function value(path) {
    ws();
    if (!lines.has(path)) lines.set(path, line);
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (let k = 0; ; k++) {
        ws();
        let p = join(path, k);
        if (c === '{') {
          const keyLine = line;
          if (text[i] !== '"') throw new SyntaxError('expected a key');
          p = join(path, string());
          lines.set(p, keyLine);
          expect(':');
        }
        value(p);
        ws();
        if (text[i] === ',') i++;
        else return expect(close);
      }
    }
    if (c === '"') return void string();
    while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
  }

  try {
    value('');
  } catch {
    /* a syntax error: keep the paths read so far */
  }
  return lines;
}

/**
 * The line of a path, or of its nearest existing parent (an issue about a missing field points at
 * the object that lacks it). `{ line, exact }`.
 */
export function lineOfPath(lines, path) {
  const parts = path === '' ? [] : String(path).split('.');
  for (let n = parts.length; n >= 0; n--) {
    const p = parts.slice(0, n).join('.');
    if (lines.has(p)) return { line: lines.get(p), exact: n === parts.length };
  }
  return { line: 1, exact: false };
}

/** The 1-based line of a JSON.parse error, from "… at position 123" or "(line 4 column 5)". */
export function syntaxErrorLine(message, text) {
  const byLine = /line (\d+)/.exec(message);
  if (byLine) return Number(byLine[1]);
  const byPos = /position (\d+)/.exec(message);
  if (byPos) return text.slice(0, Number(byPos[1])).split('\n').length;
  return null;
}
