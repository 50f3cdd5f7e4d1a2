/**
 * Runs the real Worker (bench entry around worker/index.ts) and the baseline Worker in workerd
 * through Miniflare, each listening on its own free loopback port, with SQLite-backed Durable
 * Objects persisted to a temporary directory (so storage sizes are real files).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { createClient } from './http.mjs';

/**
 * Where objects' SQLite files go. `memory` (the default): /dev/shm when the machine has it, so a
 * commit costs no fsync and neither side is timed by a disk other people share (measured here:
 * the baseline's p50 moved from 1.2 to 3.9 ms with others' disk load, and a new object's file
 * costs tens of milliseconds). What remains is each side's own work; in production both also wait
 * for their write to be durable, the same constant on each side. `disk`: the OS temp directory
 * (BENCH_STORAGE=disk), durable commits.
 */
const STORAGE_DIRS = { disk: tmpdir(), memory: existsSync('/dev/shm') ? '/dev/shm' : tmpdir() };
const DEFAULT_STORAGE = process.env.BENCH_STORAGE === 'disk' ? 'disk' : 'memory';

const COMPAT = { compatibilityDate: '2026-04-20', compatibilityFlags: ['nodejs_compat'] };
export const ADMIN_TOKEN = 'leadedge-local-dev-admin-token-0000';

/**
 * Bundles the bench entry (the real Worker plus probes) to one ES module. `entry` may point at a
 * copy of the harness next to a patched copy of worker/ (bench/experiments.mjs).
 */
export async function bundleLeadEdge(outdir, entry = 'bench/harness/leadedge-entry.ts') {
  const outfile = join(outdir, 'leadedge.mjs');
  await build({
    entryPoints: [entry],
    nodePaths: [resolve('node_modules')],
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
 * @param {{ kind: 'leadedge' | 'baseline', count?: boolean, inspectorPort?: number, storage?: 'disk' | 'memory' }} opts
 *   count: turn on the cost counters; inspectorPort: open workerd's V8 inspector there (bench/profile.mjs)
 */
export async function startRuntime({ kind, count = false, inspectorPort, storage = DEFAULT_STORAGE, entry }) {
  const dir = mkdtempSync(join(STORAGE_DIRS[storage], `leadedge-bench-${kind}-`));
  const bundlePath = kind === 'leadedge' ? await bundleLeadEdge(dir, entry) : null;
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
            INSTANCE: { className: 'InstanceObject', useSQLite: true },
            DIRECTORY: { className: 'DirectoryObject', useSQLite: true },
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
    storage,
    storageDir: STORAGE_DIRS[storage],
    url,
    dir,
    mf,
    bundlePath,
    inspectorPort,
    pids,
    /** Files workerd holds open: about two per Durable Object whose SQLite database is open. */
    openFiles: () => pids.reduce((sum, pid) => sum + openFilesOf(pid), 0),
    /** CPU milliseconds (user + system) workerd has used so far: Worker, objects, SQLite and HTTP. */
    cpuMs: () => pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0),
    /** The same in nanosecond steps (the scheduler's per-thread run time), for short windows; null where Linux has no schedstat. */
    cpuPreciseMs: () => {
      const ns = pids.map(runNsOf);
      return ns.includes(null) ? null : ns.reduce((a, b) => a + b, 0) / 1e6;
    },
    async close() {
      await mf.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Two fresh runtimes with a client each, as bench/ingest.mjs's `pair` hands them out: `le` and `bl` are its
 * two sides (LeadEdge and the baseline; bench/ingest-same.mjs puts the same code on both).
 */
export async function startPair({ le: leKind = 'leadedge', bl: blKind = 'baseline' } = {}) {
  const [le, bl] = [await startRuntime({ kind: leKind }), await startRuntime({ kind: blKind })];
  const clients = [createClient(le.url), createClient(bl.url)];
  return {
    le: { runtime: le, client: clients[0] },
    bl: { runtime: bl, client: clients[1] },
    close: async () => {
      for (const c of clients) c.close();
      await le.close();
      await bl.close();
    },
  };
}

/** workerd processes started by this Node process (Miniflare spawns one per instance). */
export function workerdChildren() {
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

/** Time on CPU of a process's live threads, in ns (/proc/PID/task/TID/schedstat, first field). */
export function runNsOf(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    return ns;
  } catch {
    return null;
  }
}

function openFilesOf(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}
