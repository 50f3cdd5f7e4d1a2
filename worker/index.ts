/** Worker entry: the hono app plus the two Durable Object classes. */
import { app } from './app';
import type { Env } from './env';
import { COLLECT_PATH, handleCollect, hasPath } from './routes/collect';

export { DirectoryObject } from './objects/directory-object';
export { InstanceObject } from './objects/instance-object';
export { SiteObject } from './objects/site-object';
export { VisitorObject } from './objects/visitor-object';

export default {
  fetch(request, env, ctx) {
    // Beacons skip hono's router and middleware: about 30 µs of CPU each (trial noHono in the CPU
    // investigation of 2026-11-23 at 016abe3; see git history).
    if (request.method !== 'POST') return app.fetch(request, env, ctx);
    // Read once: each read of request.url builds a new string.
    const url = request.url;
    if (hasPath(url, COLLECT_PATH)) return handleCollect(request, env, ctx, url);
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
