/**
 * Beacons without an Origin come from servers: they must carry a key of the site with a role the
 * access table allows (`server` or `owner`), or the instance owner's token. Checked against the
 * key hashes the config cache carries (no extra hop); never against a stale copy.
 */
import { noteFailedAuth } from '../abuse/auth-limit';
import type { LoadedConfig } from '../config/config-cache';
import type { Env } from '../env';
import { ApiError } from '../errors';
import { adminTokenProblem, equalInConstantTime } from '../middleware/admin-auth';
import { keyHash, keySite } from './keys';

export const serverKeyRequired = (message: string) =>
  new ApiError(401, 'server_key_required', `${message} (create one with POST /v1/admin/sites/:site/keys {"role":"server"})`, undefined, { 'www-authenticate': 'Bearer' });

export async function assertServerKey(env: Env, site: string, loaded: LoadedConfig, key: string, ip: string | null) {
  if (!adminTokenProblem(env) && (await equalInConstantTime(key, env.ADMIN_TOKEN!))) return;
  if (keySite(key) === site) {
    // A revoked key must never pass because the site object was unreachable when it was revoked elsewhere.
    if (loaded.stale) throw new ApiError(503, 'auth_unavailable', 'server keys cannot be checked right now; retry shortly', undefined, { 'retry-after': '5' });
    if (loaded.serverKeys.has(await keyHash(key))) return;
  }
  await noteFailedAuth(env, ip, Date.now());
  throw serverKeyRequired(`the key is not a server key of site "${site}"`);
}
