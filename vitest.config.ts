import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
// @ts-expect-error plain ESM helper without types
import { startTurnstileStandIn } from './test/helpers/turnstile-standin.mjs';

// Turnstile's siteverify, answered locally (the Worker reads its URL from TURNSTILE_VERIFY_URL): nothing needs the internet.
const turnstile = await startTurnstileStandIn();

// Three suites: pure logic in Node (fast), the Worker and its Durable Objects in workerd,
// and the SDK in real Chromium against `wrangler dev`.
export default defineConfig({
  test: {
    projects: [
      {
        // Property tests run thousands of cases: a loaded CI machine needs more than the default 5 s.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 60_000 },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: { ADMIN_TOKEN: 'leadedge-local-dev-admin-token-0000', LEADEDGE_DEV: '1', TURNSTILE_VERIFY_URL: `${turnstile.url}/siteverify` },
              // A small per-IP budget so the flood test stays quick (production: wrangler.toml).
              ratelimits: { IP_LIMITER: { simple: { limit: 20, period: 60 } }, AUTH_LIMITER: { simple: { limit: 5, period: 60 } }, NEW_VISITOR_LIMITER: { simple: { limit: 5, period: 60 } }, DEMO_LIMITER: { simple: { limit: 3, period: 60 } } },
            },
          }),
        ],
        test: { name: 'worker', include: ['test/worker/**/*.test.ts'], globalSetup: ['test/worker/global-setup.ts'] },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
