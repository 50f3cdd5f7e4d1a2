/** The HTTP surface: beacon, decision, SDK, OpenAPI and admin routes, one JSON error shape. */
import { Hono } from 'hono';
import type { AppEnv } from './env';
import { ApiError, errorResponse } from './errors';
import { adminAuth } from './middleware/admin-auth';
import { adminRoutes } from './routes/admin';
import { adminKeyRoutes } from './routes/admin-keys';
import { adminRestageRoutes } from './routes/admin-restage';
import { adminSiteRoutes } from './routes/admin-sites';
import { adminCalibrationRoutes } from './routes/admin-calibration';
import { adminLeadRoutes } from './routes/admin-leads';
import { adminPeopleRoutes } from './routes/admin-people';
import { collectRoutes } from './routes/collect';
import { decideRoutes } from './routes/decide';
import { openApiRoutes } from './routes/openapi';
import { sdkRoutes } from './routes/sdk';

export const app = new Hono<AppEnv>();

// Admin routes: the instance token or a site key, each route's roles (worker/access/roles.ts), no CORS.
app.use('/v1/admin/*', adminAuth);

app.route('/', collectRoutes);
app.route('/', decideRoutes);
app.route('/', sdkRoutes);
app.route('/', openApiRoutes);
app.route('/', adminSiteRoutes);
app.route('/', adminRoutes);
app.route('/', adminKeyRoutes);
app.route('/', adminRestageRoutes);
app.route('/', adminLeadRoutes);
app.route('/', adminPeopleRoutes);
app.route('/', adminCalibrationRoutes);

app.get('/v1/health', (c) => c.json({ ok: true }));

app.notFound(async (c) => {
  const path = new URL(c.req.url).pathname;
  if (!path.startsWith('/v1/') && c.env.ASSETS && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
    return c.env.ASSETS.fetch(c.req.raw);
  }
  return errorResponse(new ApiError(404, 'not_found', `no route for ${c.req.method} ${path}`), c);
});

app.onError(errorResponse);
