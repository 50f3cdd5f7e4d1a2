/** What bench/profile.mjs and bench/ab.mjs need to profile a Worker: a CDP client, and bundle lines mapped to modules. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A minimal CDP client over the inspector WebSocket. */
export async function inspector(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  };
  return {
    send: (method, params = {}) =>
      new Promise((resolve) => {
        pending.set(++id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Line -> module path, from the `// path/to/module.ts` markers esbuild writes in a bundle. */
export function moduleMap(bundlePath) {
  const starts = [];
  readFileSync(bundlePath, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(line);
      if (m) starts.push([i, m[1].replace(/^.*node_modules\//, 'node_modules/').replace(/^(\.\.\/)+/, '')]);
    });
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle prelude)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid][0] <= line) {
        found = starts[mid][1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/** A loopback port nobody listens on (for workerd's inspector). */
export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
