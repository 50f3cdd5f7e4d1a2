/** Worker entry: the hono app plus the two Durable Object classes. */
import { app } from './app';

export { SiteObject } from './objects/site-object';
export { VisitorObject } from './objects/visitor-object';

export default app satisfies ExportedHandler<import('./env').Env>;
