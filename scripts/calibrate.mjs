/**
 * `npm run calibrate -- --site demo`: asks a running Worker to calibrate a site on its labelled
 * leads (POST /v1/admin/sites/:site/calibrate) and prints the report: held-out figures side by
 * side, points per rule, thresholds, notes. Nothing changes unless you pass --apply.
 *
 *   --mql 0.5 --sql 0.8       target precision per stage      --seed 1   --holdout 0.25
 *   --l2 3                    penalty (default: cross-validated)   --accepted-weight 0.5
 *   --max-new-rules 10        --min-support 10
 *   --out proposal.json       write the proposed config document
 *   --apply                   PUT the proposal as a new config version (refused if the config changed since)
 *   --json                    print the raw response
 *   --url http://localhost:8787   --token (or LEADEDGE_ADMIN_TOKEN; default: the dev token)
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs as parseCliArgs } from 'node:util';

/** The request body from command-line flags (only what was given: the server fills the defaults). */
export function optionsFrom(args) {
  const num = (k) => (args[k] === undefined ? undefined : Number(args[k]));
  const body = {
    ...(args.mql !== undefined || args.sql !== undefined ? { targetPrecision: { ...(args.mql !== undefined ? { mql: num('mql') } : {}), ...(args.sql !== undefined ? { sql: num('sql') } : {}) } } : {}),
    holdout: num('holdout'),
    seed: num('seed'),
    l2: num('l2'),
    acceptedWeight: num('accepted-weight'),
    maxNewRules: num('max-new-rules'),
    minSupport: num('min-support'),
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

/** A plain-text report of a calibration response. */
export function formatReport(r) {
  const f = (n, d = 3) => (n === null || n === undefined ? 'n/a' : Number(n).toFixed(d));
  const pct = (n) => (n === null || n === undefined ? 'n/a' : `${Math.round(n * 100)}%`);
  const e = r.evaluation;
  const pad = (s, n) => String(s).padEnd(n);
  const lines = [
    `Site "${r.site}", config v${r.basedOnVersion}: ${r.rows.used} labelled leads (${r.rows.positives} converted), ${r.rows.train} to fit, ${r.rows.holdout} held out (seed ${r.settings.seed}, L2 ${r.settings.l2} by ${r.settings.l2ChosenBy}).`,
    '',
    `Held-out leads (${e.rows}, ${e.positives} converted)   current    proposed`,
    `  AUC                              ${pad(f(e.current.auc), 10)} ${f(e.proposed.auc)}`,
    `  log-loss                         ${pad(f(e.current.logLoss), 10)} ${f(e.proposed.logLoss)}`,
    `  MQL precision / recall           ${pad(`${pct(e.current.mql.precision)} / ${pct(e.current.mql.recall)}`, 10)} ${pct(e.proposed.mql.precision)} / ${pct(e.proposed.mql.recall)}`,
    `  SQL precision / recall           ${pad(`${pct(e.current.sql.precision)} / ${pct(e.current.sql.recall)}`, 10)} ${pct(e.proposed.sql.precision)} / ${pct(e.proposed.sql.recall)}`,
    '',
    'Rules                                        current  proposed  status',
    ...r.rules.map((x) => `  ${pad(`${x.kind === 'fit' ? 'fit ' : ''}${x.id}`, 42)} ${pad(x.currentPoints ?? '-', 8)} ${pad(x.proposedPoints, 9)} ${x.status}${x.status === 'new' ? `: ${x.description?.replace(/^Learned from outcomes: /, '') ?? ''} (${x.support} leads)` : ''}`),
    '',
    `Thresholds   MQL ${r.thresholds.mql.current} -> ${r.thresholds.mql.proposed} (target ${pct(r.thresholds.mql.targetPrecision)}, ${r.thresholds.mql.met ? 'met' : 'not met'})   SQL ${r.thresholds.sql.current} -> ${r.thresholds.sql.proposed} (target ${pct(r.thresholds.sql.targetPrecision)}, ${r.thresholds.sql.met ? 'met' : 'not met'})`,
    ...(r.notes.length ? ['', ...r.notes.map((n) => `- ${n}`)] : []),
  ];
  return lines.join('\n');
}

/** Command-line options, parsed by Node's own parser (unknown options are an error). */
function parseArgs(argv) {
  const { values, positionals } = parseCliArgs({ args: argv, options: { apply: { type: 'boolean' }, json: { type: 'boolean' }, mql: { type: 'string' }, sql: { type: 'string' }, out: { type: 'string' }, site: { type: 'string' }, token: { type: 'string' }, url: { type: 'string' } }, allowPositionals: false });
  return { ...values, _: positionals };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const fail = (message) => {
    console.error(`calibrate: ${message}`);
    process.exit(1);
  };
  if (!args.site) fail('usage: npm run calibrate -- --site <key> [--mql 0.5 --sql 0.8] [--out proposal.json] [--apply]');
  const url = String(args.url ?? 'http://localhost:8787').replace(/\/$/, '');
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${args.token ?? process.env.LEADEDGE_ADMIN_TOKEN ?? 'leadedge-local-dev-admin-token-0000'}` };
  const call = async (method, path, body) => {
    const res = await fetch(`${url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) }).catch((e) => fail(`cannot reach ${url}: ${e.message}`));
    const json = await res.json().catch(() => ({}));
    if (!res.ok) fail(`${res.status} ${json.error?.code ?? ''}: ${json.error?.message ?? 'request failed'}${(json.error?.issues ?? []).map((i) => `\n  ${i.path}: ${i.message}`).join('')}`);
    return json;
  };
  const site = encodeURIComponent(args.site);
  const result = await call('POST', `/v1/admin/sites/${site}/calibrate`, optionsFrom(args));
  console.log(args.json ? JSON.stringify(result, null, 2) : formatReport(result));
  if (args.out) {
    writeFileSync(String(args.out), `${JSON.stringify(result.proposal, null, 2)}\n`);
    console.error(`wrote the proposal to ${args.out} (apply it with PUT /v1/admin/sites/${args.site}, or --apply)`);
  }
  if (args.apply) {
    const current = await call('GET', `/v1/admin/sites/${site}`);
    if (current.version !== result.basedOnVersion) fail(`the config changed since (v${result.basedOnVersion} -> v${current.version}): calibrate again before applying`);
    const note = encodeURIComponent(`calibration (seed ${result.settings.seed}) of v${result.basedOnVersion}`);
    const saved = await call('PUT', `/v1/admin/sites/${site}?note=${note}`, result.proposal);
    console.error(`applied as config v${saved.version}; roll back with POST /v1/admin/sites/${args.site}/config/versions/${result.basedOnVersion}/restore`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
