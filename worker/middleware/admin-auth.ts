/** Admin routes need `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
import type { MiddlewareHandler } from 'hono';
import { isDev, type Env } from '../env';
import { ApiError } from '../errors';

export const DEV_ADMIN_TOKEN = 'dev-admin-token';
const encoder = new TextEncoder();

export const adminAuth: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected || (expected === DEV_ADMIN_TOKEN && !isDev(c.env))) {
    throw new ApiError(503, 'admin_disabled', 'admin routes are off: set a strong ADMIN_TOKEN with `wrangler secret put ADMIN_TOKEN` (the dev token is refused in production)');
  }
  const header = c.req.header('authorization') ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  if (!given) throw new ApiError(401, 'unauthorized', 'send Authorization: Bearer <admin token>', undefined, { 'www-authenticate': 'Bearer' });
  if (!(await equalInConstantTime(given, expected))) {
    throw new ApiError(401, 'unauthorized', 'the admin token is wrong', undefined, { 'www-authenticate': 'Bearer' });
  }
  await next();
};

/** Hashing first makes the comparison independent of both lengths. */
export async function equalInConstantTime(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}
