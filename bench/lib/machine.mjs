/** What the numbers were measured on: hardware, software versions and how busy the machine was. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const version = (pkg) => {
  try {
    return JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')).version;
  } catch {
    return 'unknown';
  }
};

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0]?.model ?? 'unknown'} (${cpus.length} logical cores)`,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    miniflare: version('miniflare'),
    workerd: version('workerd'),
    wrangler: version('wrangler'),
    playwright: version('playwright-core'),
  };
}

/** 1-, 5- and 15-minute load averages, as `uptime` prints them. */
export const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(', ');

/** The commit measured, and whether worker/ or sdk/ had uncommitted changes (others work here too). */
export function revision() {
  // trimEnd only: porcelain lines start with a space when the index is clean (" M worker/...").
  const git = (...args) => spawnSync('git', args, { encoding: 'utf8' }).stdout?.trimEnd() ?? '';
  const commit = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const dirty = git('status', '--porcelain', '--', 'worker', 'sdk', 'scripts/build-sdk.mjs');
  return dirty ? `${commit} with uncommitted changes in ${[...new Set(dirty.split('\n').map((l) => l.slice(3).split('/')[0]))].join(', ')}` : commit;
}
