// Builds the browser SDK (sdk/src) and embeds it in the Worker:
//   dist/sdk/leadedge.js        IIFE for the script tag, debug logging compiled out (served at /sdk.js)
//   dist/sdk/leadedge.debug.js  the same with debug logging (served at /sdk.debug.js)
//   dist/sdk/index.mjs + *.d.ts ESM build for bundlers: import { createClient } from 'leadedge'
//   worker/generated/sdk-bundle.ts  SDK_SOURCE / SDK_ETAG (and the debug pair) for worker/routes/sdk.ts
// Prints min+gzip and brotli sizes. `--check` exits non-zero past the 6 KiB budget.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';
import esbuild from 'rollup-plugin-esbuild';
import ts from 'typescript';

export const BUDGET_BYTES = 6144;
const INTERNAL_PROPS = /^(items|restore|persist|aid|session|save|erase|schedule|beacon|send|del)$/;
const OUT = 'dist/sdk';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const plugins = (debug, minify) => [
  nodeResolve({ browser: true }),
  esbuild({ target: 'es2020', tsconfig: 'sdk/tsconfig.json', define: debug === undefined ? {} : { __DEBUG__: String(debug) } }),
  ...(minify
    ? [
        terser({
          ecma: 2020,
          compress: { passes: 3, pure_getters: true, unsafe_arrows: true },
          // Internal method names only (never wire fields, config options, DOM or built-in names).
          mangle: { properties: { regex: INTERNAL_PROPS } },
          format: { comments: false },
        }),
      ]
    : []),
];

async function build(input, output, { debug, minify, external = [] }) {
  const bundle = await rollup({ input, plugins: plugins(debug, minify), external, treeshake: { moduleSideEffects: (id) => !id.includes('idb-keyval') } });
  const { output: [chunk] } = await bundle.write({ file: output, ...(output.endsWith('.mjs') ? { format: 'es' } : { format: 'iife' }), sourcemap: false });
  await bundle.close();
  return chunk.code;
}

/** Declarations of the public API only; they must not reach into worker/ (the package ships alone). */
function declarations() {
  const program = ts.createProgram(['sdk/src/index.ts'], {
    ...ts.parseJsonConfigFileContent(JSON.parse(readFileSync('sdk/tsconfig.json', 'utf8')), ts.sys, 'sdk').options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
  });
  const files = {};
  program.emit(undefined, (name, text) => {
    const rel = relative(process.cwd(), name).replace(/\\/g, '/');
    const m = /sdk\/src\/(.+\.d\.ts)$/.exec(rel);
    if (m) files[m[1]] = text;
  });
  const needed = new Set();
  const visit = (file) => {
    if (needed.has(file)) return;
    const text = files[file];
    if (text === undefined) throw new Error(`declarations: ${file} missing`);
    if (/from ['"]\.\.\//.test(text)) throw new Error(`declarations: ${file} imports outside sdk/ (public types must stand alone)`);
    needed.add(file);
    for (const [, spec] of text.matchAll(/from ['"]\.\/([^'"]+)['"]/g)) visit(`${spec.replace(/\.js$/, '')}.d.ts`);
  };
  visit('index.d.ts');
  for (const stale of readdirSync(OUT).filter((f) => f.endsWith('.d.ts'))) rmSync(join(OUT, stale));
  for (const file of needed) writeFileSync(join(OUT, file), files[file]);
}

const gz = (code) => gzipSync(code, { level: 9 }).length;
const br = (code) => brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const etag = (code) => `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`;

mkdirSync(OUT, { recursive: true });
const started = Date.now();
const [iife, debugIife] = await Promise.all([
  build('sdk/src/script-tag.ts', `${OUT}/leadedge.js`, { debug: false, minify: true }),
  build('sdk/src/script-tag.ts', `${OUT}/leadedge.debug.js`, { debug: true, minify: true }),
  build('sdk/src/index.ts', `${OUT}/index.mjs`, { minify: false, external: ['idb-keyval'] }),
]);
declarations();
writeFileSync(
  `${OUT}/package.json`,
  `${JSON.stringify(
    {
      name: pkg.name,
      version: pkg.version,
      description: 'LeadEdge browser SDK: capture, offline queue, privacy controls and personalized CTAs.',
      license: pkg.license,
      type: 'module',
      sideEffects: false,
      exports: { '.': { types: './index.d.ts', import: './index.mjs' } },
      module: './index.mjs',
      types: './index.d.ts',
      dependencies: { 'idb-keyval': pkg.dependencies['idb-keyval'] },
    },
    null,
    2,
  )}\n`,
);

// Written to a temporary file and renamed, so a running `wrangler dev` never reads half a file.
const GENERATED = 'worker/generated/sdk-bundle.ts';
mkdirSync(dirname(GENERATED), { recursive: true });
writeFileSync(
  `${GENERATED}.${process.pid}.tmp`,
  [
    '// Generated by scripts/build-sdk.mjs; do not edit.',
    `export const SDK_SOURCE = ${JSON.stringify(iife)};`,
    `export const SDK_ETAG = ${JSON.stringify(etag(iife))};`,
    `export const SDK_DEBUG_SOURCE = ${JSON.stringify(debugIife)};`,
    `export const SDK_DEBUG_ETAG = ${JSON.stringify(etag(debugIife))};`,
    '',
  ].join('\n'),
);
renameSync(`${GENERATED}.${process.pid}.tmp`, GENERATED);

const size = gz(iife);
console.log(
  `sdk: ${OUT}/leadedge.js ${iife.length} B min, ${size} B min+gzip, ${br(iife)} B min+brotli (budget ${BUDGET_BYTES} B gzip); ` +
    `debug build ${gz(debugIife)} B gzip; built in ${Date.now() - started} ms`,
);
if (process.argv.includes('--check') && size > BUDGET_BYTES) {
  console.error(`sdk: over budget by ${size - BUDGET_BYTES} B`);
  process.exit(1);
}
