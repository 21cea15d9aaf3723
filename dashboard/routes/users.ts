import { Router } from 'express';
import { z } from 'zod';
import { ApiError, parseOr400 } from '../api-error.js';
import { principalOf } from '../auth/guard.js';
import { PERSON_ROLES } from '../auth/roles.js';
import type { DashboardContext } from '../context.js';
import { toApiError } from '../refusal-status.js';
import { newPasswordSchema } from './auth.js';

const username = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1–64 lowercase letters, digits, dots, dashes or underscores');
const displayName = z.string().trim().min(1).max(100);
const createBody = z.strictObject({
  username,
  displayName,
  role: z.enum(PERSON_ROLES),
  password: newPasswordSchema,
  /** Default true: whoever the admin created an account for chooses their own password at first login. */
  mustChangePassword: z.boolean().default(true),
});
const patchBody = z
  .strictObject({
    role: z.enum(PERSON_ROLES).optional(),
    displayName: displayName.optional(),
    disabled: z.boolean().optional(),
    password: newPasswordSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one of role, displayName, disabled, password' });

/** `/users` (admin): accounts of people. Disabling or resetting one signs it out everywhere at once. */
export function usersRouter(ctx: DashboardContext): Router {
  const router = Router();
  const { auth } = ctx;

  router.get('/', async (_req, res) => {
    res.json({ users: await auth.users.list() });
  });

  router.post('/', async (req, res) => {
    const body = parseOr400(createBody, req.body, 'body');
    try {
      res.status(201).json({ user: await auth.users.create(body) });
    } catch (error) {
      throw toApiError(error);
    }
  });

  router.patch('/:username', async (req, res) => {
    const name = parseOr400(username, req.params.username, 'path');
    const body = parseOr400(patchBody, req.body, 'body');
    // Resetting a password here needs no current one: for one's own account that would let a
    // borrowed session take the account over. The own-password route asks for the current one.
    if (body.password !== undefined && name === principalOf(res).name) {
      throw new ApiError(
        403,
        'OWN_PASSWORD',
        'change your own password with POST /api/v1/auth/password (it asks for the current one)',
      );
    }
    // A password set by an admin is a temporary one: its owner chooses a new one at the next login.
    let updated;
    try {
      updated = await auth.users.update(name, { ...body, ...(body.password ? { mustChangePassword: true } : {}) });
    } catch (error) {
      throw toApiError(error);
    }
    if (body.disabled === true || body.password !== undefined) auth.ended({ sessionKeys: await auth.sessions.closeAllOf(name) });
    res.json({ user: updated });
  });

  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const usersRequests = { username, createBody, patchBody };
