/** Path parameters of the admin routes, parsed the same way everywhere: a 400 `invalid_path` naming each problem. */
import { z } from 'zod';
import { parseWith } from '../http/read-json';
import { PersonIdSchema, SiteKeySchema, VisitorIdSchema } from '../schema/events';

export const SiteParam = z.object({ site: SiteKeySchema });
/** A browser's anonymous id, or a person's id (a person answers every visitor route: profile, export, verdicts...). */
export const VisitorParam = SiteParam.extend({ aid: z.union([VisitorIdSchema, PersonIdSchema]) });
export const PersonParam = SiteParam.extend({ id: PersonIdSchema });

export const pathParams = <T extends z.ZodType>(schema: T, value: unknown) => parseWith(schema, value, 'invalid_path', 'invalid path');
