/**
 * SDK weight: min+gzip and min+brotli of the built IIFE (dist/sdk/leadedge.js, `npm run build`)
 * against the floor, bench/floor/pageview.js minified in this run with the SDK's terser settings.
 */
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { minify } from 'terser';

import { SDK_BUDGET_GZIP as BUDGET_GZIP } from './lib/report-targets.mjs';
export const SDK_PATH = 'dist/sdk/leadedge.js';
export const FLOOR_PATH = 'bench/floor/pageview.js';

const gz = (code) => gzipSync(code, { level: 9 }).length;
const br = (code) => brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/** The floor minified exactly as scripts/build-sdk.mjs minifies the SDK. */
export async function minifiedFloor() {
  const { code } = await minify(readFileSync(FLOOR_PATH, 'utf8'), {
    ecma: 2020,
    compress: { passes: 3, pure_getters: true, unsafe_arrows: true },
    format: { comments: false },
  });
  return code;
}

export async function benchSdkWeight({ log }) {
  const sdk = readFileSync(SDK_PATH, 'utf8');
  const floor = await minifiedFloor();
  const measure = (code) => ({ min: Buffer.byteLength(code), gzip: gz(code), brotli: br(code) });
  const result = { sdk: measure(sdk), floor: measure(floor), budget: BUDGET_GZIP };
  result.withinBudget = result.sdk.gzip <= BUDGET_GZIP;
  result.gzipRatio = result.sdk.gzip / result.floor.gzip;
  log(`sdk weight: ${result.sdk.gzip} B gzip / ${result.sdk.brotli} B brotli (floor ${result.floor.gzip} / ${result.floor.brotli} B); budget ${BUDGET_GZIP} B gzip: ${result.withinBudget ? 'met' : 'MISSED'}`);
  return result;
}
