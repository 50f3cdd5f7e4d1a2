/** The size budget of the script tag is a test: at most 6 KiB (6144 B) minified + gzip (level 9). */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const BUNDLE = 'dist/sdk/leadedge.js';
const BUDGET = 6144;

describe('SDK size', () => {
  it(`the IIFE is at most ${BUDGET} B min+gzip, with no debug strings`, () => {
    if (!existsSync(BUNDLE)) expect(spawnSync(process.execPath, ['scripts/build-sdk.mjs'], { stdio: 'inherit' }).status).toBe(0);
    const code = readFileSync(BUNDLE);
    const gzip = gzipSync(code, { level: 9 }).length;
    console.log(`sdk size: ${code.length} B min, ${gzip} B gzip, ${brotliCompressSync(code).length} B brotli`);
    expect(gzip).toBeLessThanOrEqual(BUDGET);
    expect(code.toString()).not.toMatch(/console\.|\[leadedge\]/);
  });

  it('the SDK imports no package but its runtime dependencies (the bench peers are dev-dependencies only)', () => {
    const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8'));
    const imported = readdirSync('sdk/src').flatMap((f) => [...readFileSync(`sdk/src/${f}`, 'utf8').matchAll(/^import (?!type )[^;]*?from '([^.][^']*)'/gm)].map((m) => m[1]));
    expect(imported.length).toBeGreaterThan(0);
    for (const name of imported) expect(Object.keys(dependencies)).toContain(name);
  });
});
