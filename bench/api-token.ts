import { join } from 'node:path';
import { openAuth } from '../dashboard/auth/auth-service.js';
import type { Role } from '../dashboard/auth/roles.js';

/**
 * An integration token for a bench that reads the API of a platform on `dataDir` (its own process
 * or this one): issued straight into `DATA_DIR/users.sqlite`, as an admin would through the API.
 */
export async function issueBenchToken(dataDir: string, role: Role): Promise<string> {
  const auth = openAuth({ file: join(dataDir, 'users.sqlite'), now: Date.now, sessions: { idleMs: 60_000, absoluteMs: 60_000 } });
  try {
    return (await auth.tokens.issue({ name: `bench ${role}`, role, createdBy: 'bench' })).secret;
  } finally {
    await auth.close();
  }
}
