/**
 * `npm run import -- leads.csv --map mapping.json`: historical leads from a CSV into a site's
 * training rows, so calibration starts with the site's history (docs/calibration.md).
 *
 *   --map mapping.json   which column is the id, the outcome, traits, event counts, rule hits, topics
 *   --site demo          the site (or "site" in the mapping)
 *   --url http://localhost:8787   the Worker (default); --token, or LEADEDGE_ADMIN_TOKEN (default: the dev token)
 *   --delimiter ";"      field separator (default ",")
 *   --dry-run            print the first mapped rows and the counts; send nothing
 *
 * Rows whose outcome is neither won nor lost (open deals) are skipped and counted. The server
 * checks every row again; a refused batch is reported with CSV line numbers.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs as parseCliArgs } from 'node:util';

const BATCH = 500;

/**
 * RFC 4180 CSV: quoted fields with doubled quotes, separators and newlines inside quotes, CRLF, BOM.
 * @returns records as objects keyed by the header, each with its 1-based line number as `__line`
 */
export function parseCsv(text, delimiter = ',') {
  const rows = [];
  let field = '';
  let row = [];
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const src = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (quoted) {
      if (ch === '"' && src[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      row.push(field);
      rows.push({ cells: row, line: rowLine });
      row = [];
      field = '';
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (quoted) throw new Error(`line ${rowLine}: a quoted field is never closed`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push({ cells: row, line: rowLine });
  }
  const nonEmpty = rows.filter((r) => r.cells.some((c) => c.trim() !== ''));
  if (nonEmpty.length === 0) throw new Error('the CSV is empty');
  const header = nonEmpty[0].cells.map((h) => h.trim());
  return nonEmpty.slice(1).map((r) => Object.assign(Object.fromEntries(header.map((h, k) => [h, (r.cells[k] ?? '').trim()])), { __line: r.line }));
}

/**
 * Turns CSV records into the import route's rows with a mapping (see docs/calibration.md).
 * @returns { rows, lines (CSV line of each row), skipped (open deals), problems (mapping errors) }
 */
export function mapRecords(records, mapping) {
  const problems = [];
  const columns = new Set(Object.keys(records[0] ?? {}));
  const need = (column, where) => {
    if (typeof column !== 'string' || !columns.has(column)) problems.push(`${where}: no column "${column}" in the CSV (columns: ${[...columns].filter((c) => c !== '__line').join(', ')})`);
  };
  const outcome = mapping.outcome ?? {};
  need(outcome.column, 'outcome.column');
  if (!Array.isArray(outcome.won) || !Array.isArray(outcome.lost)) problems.push('outcome: give "won" and "lost", the cell values that mean each, e.g. { "column": "Stage", "won": ["Closed Won"], "lost": ["Closed Lost"] }');
  if (mapping.id !== undefined) need(mapping.id, 'id');
  if (mapping.at !== undefined) need(mapping.at, 'at');
  for (const part of ['traits', 'events', 'rules', 'topics']) {
    for (const [key, column] of Object.entries(mapping[part] ?? {})) need(column, `${part}.${key}`);
  }
  if (problems.length > 0) return { rows: [], lines: [], skipped: 0, problems };

  const norm = (v) => String(v).trim().toLowerCase();
  const won = new Set(outcome.won.map(norm));
  const lost = new Set(outcome.lost.map(norm));
  const rows = [];
  const lines = [];
  let skipped = 0;
  for (const rec of records) {
    const cell = norm(rec[outcome.column]);
    const result = won.has(cell) ? 'won' : lost.has(cell) ? 'lost' : null;
    if (!result) {
      skipped++;
      continue;
    }
    const row = { id: idOf(mapping.id ? rec[mapping.id] : `line-${rec.__line}`), outcome: result };
    if (mapping.at && rec[mapping.at]) row.at = rec[mapping.at];
    const traits = {};
    for (const [key, column] of Object.entries(mapping.traits ?? {})) {
      const value = rec[column];
      if (value === '') continue;
      if (key.startsWith('custom.')) (traits.custom ??= {})[key.slice(7)] = scalar(value);
      else traits[key] = key === 'companySize' && /^\d+$/.test(value) ? Number(value) : value;
    }
    if (Object.keys(traits).length > 0) row.traits = traits;
    for (const part of ['events', 'rules', 'topics']) {
      const counts = {};
      for (const [key, column] of Object.entries(mapping[part] ?? {})) {
        const n = Number(String(rec[column]).replace(',', '.'));
        if (rec[column] !== '' && Number.isFinite(n) && n > 0) counts[key] = n;
        else if (rec[column] !== '' && !Number.isFinite(n)) problems.push(`line ${rec.__line}: ${part}.${key} ("${column}") is not a number: "${rec[column]}"`);
      }
      if (Object.keys(counts).length > 0) row[part] = counts;
    }
    rows.push(row);
    lines.push(rec.__line);
  }
  return { rows, lines, skipped, problems };
}

/** Ids the API accepts: letters, digits, ".", "_", ":", "-" (others become "-"), at most 128 chars. */
const idOf = (raw) => String(raw).trim().replace(/[^A-Za-z0-9._:-]+/g, '-').slice(0, 128) || 'lead';
const scalar = (v) => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v);

/** Command-line options, parsed by Node's own parser (unknown options are an error). */
function parseArgs(argv) {
  const { values, positionals } = parseCliArgs({ args: argv, options: { delimiter: { type: 'string' }, map: { type: 'string' }, site: { type: 'string' }, token: { type: 'string' }, url: { type: 'string' }, 'dry-run': { type: 'boolean' } }, allowPositionals: true });
  return { ...values, _: positionals };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const fail = (message) => {
    console.error(`import: ${message}`);
    process.exit(1);
  };
  const file = args._[0];
  if (!file || !args.map) fail('usage: npm run import -- leads.csv --map mapping.json [--site key] [--url http://localhost:8787] [--dry-run]');
  let mapping;
  try {
    mapping = JSON.parse(readFileSync(args.map, 'utf8'));
  } catch (e) {
    fail(`${args.map}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  const site = args.site ?? mapping.site;
  if (!site) fail('say which site: --site <key> or "site" in the mapping');
  let records;
  try {
    records = parseCsv(readFileSync(file, 'utf8'), args.delimiter ?? mapping.delimiter ?? ',');
  } catch (e) {
    fail(`${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  const { rows, lines, skipped, problems } = mapRecords(records, mapping);
  if (problems.length > 0) fail(`the mapping does not fit the CSV:\n  ${problems.slice(0, 20).join('\n  ')}`);
  console.error(`${file}: ${records.length} records, ${rows.length} with an outcome (${rows.filter((r) => r.outcome === 'won').length} won), ${skipped} skipped (no won/lost outcome)`);
  if (args['dry-run']) {
    console.log(JSON.stringify(rows.slice(0, 5), null, 2));
    return;
  }
  const url = String(args.url ?? 'http://localhost:8787').replace(/\/$/, '');
  const token = args.token ?? process.env.LEADEDGE_ADMIN_TOKEN ?? 'leadedge-local-dev-admin-token-0000';
  let sent = 0;
  let training = null;
  for (let i = 0; i < rows.length; i += BATCH) {
    const res = await fetch(`${url}/v1/admin/sites/${encodeURIComponent(site)}/training/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ rows: rows.slice(i, i + BATCH) }),
    }).catch((e) => fail(`cannot reach ${url}: ${e.message}`));
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const issues = (body.error?.issues ?? []).slice(0, 20).map((is) => {
        const m = /^rows\.(\d+)\.?(.*)$/.exec(is.path);
        return m ? `line ${lines[i + Number(m[1])]}: ${m[2] || 'row'}: ${is.message}` : `${is.path}: ${is.message}`;
      });
      fail(`${res.status} ${body.error?.code ?? ''}: ${body.error?.message ?? 'request failed'}${issues.length ? `\n  ${issues.join('\n  ')}` : ''}\n(${sent} rows were imported before this batch)`);
    }
    sent += body.imported;
    training = body.training;
  }
  console.log(`imported ${sent} leads into "${site}"; the site now has ${training?.rows ?? '?'} labelled leads (${JSON.stringify(training?.bySource ?? {})}). Next: npm run calibrate -- --site ${site}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
