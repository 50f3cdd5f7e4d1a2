/**
 * Runs the real Worker (bench/harness/leadedge-entry.ts around worker/index.ts) or the baseline
 * Worker (bench/baseline/worker.mjs) in its own workerd through Miniflare, on a free loopback port,
 * with SQLite-backed Durable Objects persisted to a temporary directory (storage sizes are real files).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { createClient } from './http.mjs';

export const ADMIN_TOKEN = 'leadedge-local-dev-admin-token-0000';
/**
 * Objects' SQLite files go to /dev/shm (memory) unless BENCH_STORAGE=disk: on this machine's shared disk
 * the baseline's p50 moved from 1.2 to 3.9 ms with other people's I/O, which timed the disk, not the code.
 */
export const STORAGE = process.env.BENCH_STORAGE !== 'disk' && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const COMPAT = { compatibilityDate: '2026-04-20', compatibilityFlags: ['nodejs_compat'] };
const BUNDLE_DIR = resolve('node_modules/.cache/leadedge-bench');
/** The bundle, built on first use and shared by every LeadEdge runtime this process starts. */
let bundled;
const LEADEDGE_OBJECTS = { VISITOR: 'VisitorObject', SITE: 'SiteObject', INSTANCE: 'InstanceObject', DIRECTORY: 'DirectoryObject' };

/**
 * Starts one workerd running `leadedge` or `baseline`, with a client for it. `count` turns on the
 * harness's cost counters (a separate runtime from timed ones: counting must not touch timings).
 * @example const le = await startRuntime({ kind: 'leadedge' }); await le.client.beacon(body); await le.close();
 */
export async function startRuntime({ kind, count = false }) {
  const dir = mkdtempSync(join(STORAGE, `leadedge-bench-${kind}-`));
  const durableObjects = (names) => Object.fromEntries(Object.entries(names).map(([k, className]) => [k, { className, useSQLite: true }]));
  const worker =
    kind === 'leadedge'
      ? { scriptPath: await (bundled ??= bundleLeadEdge()), modulesRoot: BUNDLE_DIR, durableObjects: durableObjects(LEADEDGE_OBJECTS), bindings: { ADMIN_TOKEN, LEADEDGE_DEV: '1', BENCH_COUNT: count ? '1' : '0' } }
      : { scriptPath: 'bench/baseline/worker.mjs', durableObjects: durableObjects({ COUNTER: 'CounterObject' }) };
  const before = new Set(workerdChildren());
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    cf: false, // offline: never fetch the Request.cf object from the internet
    durableObjectsPersist: join(dir, 'do'),
    log: new Log(process.env.BENCH_DEBUG ? LogLevel.DEBUG : LogLevel.WARN),
    workers: [{ name: kind, modules: true, ...COMPAT, ...worker }],
  });
  const url = (await mf.ready).origin;
  const pids = workerdChildren().filter((pid) => !before.has(pid));
  const client = createClient(url);
  let closing;
  return {
    kind,
    url,
    client,
    /** CPU milliseconds (user + system) workerd has used so far: Worker, objects, SQLite and HTTP. */
    cpuMs: () => pids.reduce((sum, pid) => sum + procStat(pid, (f) => (Number(f[11]) + Number(f[12])) * 10, 0), 0),
    /** Files workerd holds open: about two per Durable Object whose SQLite database is open. */
    openFiles: () => pids.reduce((sum, pid) => sum + (existsSync(`/proc/${pid}/fd`) ? readdirSync(`/proc/${pid}/fd`).length : 0), 0),
    /** Idempotent: a section may close early what the harness closes again after it. */
    close: () =>
      (closing ??= (async () => {
        client.close();
        await mf.dispose();
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

/** The bench entry (the real Worker plus probes) bundled to one ES module, once per process. */
async function bundleLeadEdge() {
  const outfile = join(BUNDLE_DIR, 'leadedge.mjs');
  await build({
    entryPoints: ['bench/harness/leadedge-entry.ts'],
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

/** `read(fields after the command name)` of /proc/PID/stat, or `fallback` once the process is gone. */
function procStat(pid, read, fallback) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return read(stat.slice(stat.lastIndexOf(')') + 2).split(' '), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
  } catch {
    return fallback;
  }
}

/** workerd processes started by this Node process (Miniflare spawns one per instance). */
const workerdChildren = () =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && procStat(name, (f, comm) => Number(f[1]) === process.pid && comm.startsWith('workerd'), false))
    .map(Number);
