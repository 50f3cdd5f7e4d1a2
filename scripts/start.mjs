// `npm start`: builds the SDK, then runs the sales-inbox receiver (:8788) and the Worker with the
// demo site (wrangler dev on :8787), offline, with persisted local state in .wrangler/.
import { spawn, spawnSync } from 'node:child_process';
import { startReceiver } from './receiver.mjs';

// The documented local-dev token and demo keys (worker/config/dev-keys.ts), kept in one place.
const DEV_ADMIN_TOKEN = 'leadedge-local-dev-admin-token-0000';
const DEMO_KEYS = [
  { role: 'owner', key: 'le_demo_0000000000000000000000000000000000000000000000000000000000000001' },
  { role: 'marketer', key: 'le_demo_0000000000000000000000000000000000000000000000000000000000000002' },
  { role: 'sales', key: 'le_demo_0000000000000000000000000000000000000000000000000000000000000003' },
];

const port = process.env.PORT ?? '8787';
const build = spawnSync(process.execPath, ['scripts/build-sdk.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const receiver = await startReceiver({ port: Number(process.env.RECEIVER_PORT ?? 8788), log: true });
console.log(`sales inbox receiver: ${receiver.url}/hooks/sales`);

const wrangler = spawn('node_modules/.bin/wrangler', ['dev', '--ip', '127.0.0.1', '--port', port, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
});
console.log(`LeadEdge: demo site http://localhost:${port}/  ·  marketer view http://localhost:${port}/admin  ·  sales inbox http://localhost:${port}/admin/inbox`);
console.log('Local dev credentials (documented in README; refused outside local dev):');
console.log(`  instance owner token  ${DEV_ADMIN_TOKEN}`);
for (const k of DEMO_KEYS) console.log(`  demo ${k.role.padEnd(8)} key      ${k.key}`);

const stop = async () => {
  wrangler.kill('SIGTERM');
  await receiver.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
wrangler.on('exit', async (code) => {
  await receiver.close();
  process.exit(code ?? 0);
});
