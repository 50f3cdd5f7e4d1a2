import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// Three suites: pure logic in Node (fast), the Worker and its Durable Objects in workerd,
// and the SDK in real Chromium against `wrangler dev`.
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: { ADMIN_TOKEN: 'leadedge-local-dev-admin-token-0000', LEADEDGE_DEV: '1' },
              // A small per-IP budget so the flood test stays quick (production: wrangler.toml).
              ratelimits: { IP_LIMITER: { simple: { limit: 20, period: 60 } }, AUTH_LIMITER: { simple: { limit: 5, period: 60 } } },
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
