/** What the numbers were measured on: hardware, runtime versions, the commit, and how busy the machine was. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const version = (pkg) => JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')).version;

/** One line: CPU, memory, OS, Node and workerd. */
export function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} (${cpus.length} logical cores), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, workerd ${version('workerd')}`;
}

/** 1-, 5- and 15-minute load averages, as `uptime` prints them. */
export const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(', ');

/** The commit measured, and whether worker/, sdk/ or bench/ had uncommitted changes. */
export function revision() {
  const git = (...args) => spawnSync('git', args, { encoding: 'utf8' }).stdout?.trim() ?? '';
  const dirty = git('status', '--porcelain', '--', 'worker', 'sdk', 'bench', 'scripts/build-sdk.mjs');
  return `${git('rev-parse', '--short', 'HEAD') || 'unknown'}${dirty ? ' with uncommitted changes' : ''}`;
}
