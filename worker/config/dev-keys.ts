/**
 * Local development only: the documented instance token and the demo site's keys, printed by
 * `npm start` so the marketer view and the sales inbox work with nothing to configure. The Worker
 * refuses the dev token outside local dev, and seeds these keys only when LEADEDGE_DEV is "1".
 */
import type { Role } from '../access/roles';

/** The instance owner's token in local dev (32+ characters, like any ADMIN_TOKEN; refused in production). */
export const DEV_ADMIN_TOKEN = 'leadedge-local-dev-admin-token-0000';

type DevKey = { id: string; role: Role; label: string; key: string; hash: string; repId?: string };

/** SHA-256 of each key is stored, like any key (test/unit/access.test.ts checks the hashes). */
export const DEMO_KEYS: readonly DevKey[] = [
  {
    id: 'key_demoowner0000',
    role: 'owner',
    label: 'Demo owner (local dev)',
    key: 'le_demo_0000000000000000000000000000000000000000000000000000000000000001',
    hash: '2a31bbf12144ce02a9bf12923244fd2be58e8fabd4235532d6e5b22d5e5c7952',
  },
  {
    id: 'key_demomarketer0',
    role: 'marketer',
    label: 'Demo marketer (local dev)',
    key: 'le_demo_0000000000000000000000000000000000000000000000000000000000000002',
    hash: '61595d746720af6314a10a776aa39419efea4dcdc6d4df9855b444796e902856',
  },
  {
    id: 'key_demosales0000',
    role: 'sales',
    label: 'Demo sales rep Sam (local dev)',
    key: 'le_demo_0000000000000000000000000000000000000000000000000000000000000003',
    hash: 'b64d07f65d41922e92a8ab6530ea2aa71c969a2d990c3348678a17c59b4f9901',
    repId: 'sam',
  },
];
