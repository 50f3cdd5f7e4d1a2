/** BENCHMARKS.md's bench block: where and when, the targets table, then one short section per target. */
import { table } from './stats.mjs';

/** `run` is { command, date, revision, machine, load, seconds, storage }; `results` maps a section's name to what it measured. */
export function renderReport(run, sections, results) {
  const ran = sections.filter((s) => results[s.name]);
  const verdict = (met) => (met === null ? '' : met ? 'met' : '**missed**');
  const rows = ran.flatMap((s) => s.targets(results[s.name]).map(([target, goal, measured, met]) => [target, goal, measured, verdict(met)]));
  return `# Benchmarks

\`${run.command}\` at ${run.revision}, ${run.date} UTC, ${Math.round(run.seconds)} s; ${run.machine}; load average ${run.load}. Local workerd (Miniflare) over loopback,
objects' SQLite on ${run.storage}; timings are ratios against a baseline timed in the same run (absolute milliseconds are this machine's).

${table(['target', 'goal', 'measured', 'met'], rows)}

${ran.map((s) => `## ${s.title}\n\n\`npm run bench -- --only=${s.name}\`\n\n${s.reading(results[s.name])}\n`).join('\n')}`;
}

/** Replaces the text between <!-- bench:start --> and <!-- bench:end --> (first in the file when absent); the rest is kept. */
export function mergeInto(existing, ours) {
  const block = `<!-- bench:start -->\n${ours.trimEnd()}\n<!-- bench:end -->`;
  const mine = /<!-- bench:start -->[\s\S]*?<!-- bench:end -->/;
  return mine.test(existing) ? existing.replace(mine, () => block) : `${block}\n\n${existing.trimStart()}`.trimEnd() + '\n';
}
