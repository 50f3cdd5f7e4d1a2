/** Path parameters of the admin routes, parsed the same way everywhere: a 400 `invalid_path` naming each problem. */
import { z } from 'zod';
import { parseWith } from '../http/read-json';
import { SiteKeySchema, VisitorIdSchema } from '../schema/events';

export const SiteParam = z.object({ site: SiteKeySchema });
export const VisitorParam = SiteParam.extend({ aid: VisitorIdSchema });

export const pathParams = <T extends z.ZodType>(schema: T, value: unknown) => parseWith(schema, value, 'invalid_path', 'invalid path');
