/**
 * Runs the real Worker (bench entry around worker/index.ts) and the baseline Worker in workerd
 * through Miniflare, each listening on its own free loopback port, with SQLite-backed Durable
 * Objects persisted to a temporary directory (so storage sizes are real files).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Log, LogLevel, Miniflare } from 'miniflare';

const COMPAT = { compatibilityDate: '2026-04-20', compatibilityFlags: ['nodejs_compat'] };
export const ADMIN_TOKEN = 'dev-admin-token';

/** Bundles the bench entry (the real Worker plus probes) to one ES module. */
async function bundleLeadEdge(outdir) {
  const outfile = join(outdir, 'leadedge.mjs');
  await build({
    entryPoints: ['bench/harness/leadedge-entry.ts'],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*', 'node:*'],
    logLevel: 'error',
  });
  return outfile;
}

/**
 * Starts one workerd running LeadEdge (`leadedge`) or the baseline (`baseline`).
 * @param {{ kind: 'leadedge' | 'baseline', count?: boolean, inspectorPort?: number }} opts count: turn on
 *   the cost counters; inspectorPort: open workerd's V8 inspector there (bench/profile.mjs)
 */
export async function startRuntime({ kind, count = false, inspectorPort }) {
  const dir = mkdtempSync(join(tmpdir(), `leadedge-bench-${kind}-`));
  const bundlePath = kind === 'leadedge' ? await bundleLeadEdge(dir) : null;
  const worker =
    kind === 'leadedge'
      ? {
          name: 'leadedge',
          modules: true,
          scriptPath: bundlePath,
          modulesRoot: dir,
          ...COMPAT,
          durableObjects: {
            VISITOR: { className: 'VisitorObject', useSQLite: true },
            SITE: { className: 'SiteObject', useSQLite: true },
          },
          bindings: { ADMIN_TOKEN, LEADEDGE_DEV: '1', BENCH_COUNT: count ? '1' : '0' },
        }
      : {
          name: 'baseline',
          modules: true,
          scriptPath: 'bench/baseline/worker.mjs',
          ...COMPAT,
          durableObjects: { COUNTER: { className: 'CounterObject', useSQLite: true } },
        };
  const before = new Set(workerdChildren());
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    // Offline: never fetch the Request.cf object from the internet (placeholder values are used).
    cf: false,
    ...(inspectorPort ? { inspectorPort } : {}),
    verbose: Boolean(process.env.BENCH_DEBUG),
    durableObjectsPersist: join(dir, 'do'),
    log: process.env.BENCH_DEBUG ? new Log(LogLevel.DEBUG) : new Log(LogLevel.WARN),
    workers: [worker],
  });
  const url = (await mf.ready).origin;
  const pids = workerdChildren().filter((pid) => !before.has(pid));
  return {
    kind,
    url,
    dir,
    mf,
    bundlePath,
    inspectorPort,
    /** CPU milliseconds (user + system) workerd has used so far: Worker, objects, SQLite and HTTP. */
    cpuMs: () => pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0),
    async close() {
      await mf.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** workerd processes started by this Node process (Miniflare spawns one per instance). */
function workerdChildren() {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && comm.startsWith('workerd')) pids.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** utime + stime of a process, in milliseconds (Linux /proc; clock ticks are 100 Hz). */
function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
