import { type Request, type Response, Router } from 'express';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { ApiError, parseOr400 } from '../api-error.js';
import { SESSION_COOKIE, sessionCookieOf } from '../auth/auth-service.js';
import { principalOf } from '../auth/guard.js';
import type { GuessedAccount } from '../auth/login-limiter.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../auth/passwords.js';
import { type Principal, ROLES } from '../auth/roles.js';
import type { DashboardContext } from '../context.js';

export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH);
const loginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(MAX_PASSWORD_LENGTH) });
const passwordBody = z.strictObject({
  currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  newPassword: newPasswordSchema,
});
const tokenBody = z.strictObject({ name: z.string().trim().min(1).max(64), role: z.enum(ROLES) });

type SessionPrincipal = Extract<Principal, { kind: 'session' }>;

const userView = (p: { name: string; role: string; displayName: string; mustChangePassword: boolean }) => ({
  username: p.name,
  role: p.role,
  displayName: p.displayName,
  mustChangePassword: p.mustChangePassword,
});

function sessionOf(res: Response): SessionPrincipal {
  const principal = principalOf(res);
  if (principal.kind !== 'session') throw new ApiError(403, 'FORBIDDEN', 'this route is for people signed in, not tokens');
  return principal;
}

/** The session cookie: HttpOnly, SameSite=Strict, Secure when served over TLS; a browser-session cookie. */
function setSessionCookie(req: Request, res: Response, value: string | null) {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(req.secure ? ['Secure'] : [])];
  if (value === null) attributes.push('Max-Age=0');
  res.append('Set-Cookie', `${SESSION_COOKIE}=${value ?? ''}; ${attributes.join('; ')}`);
}

/** `/auth`: sign in and out, change one's password; integration tokens (admin). */
export function authRouter(ctx: DashboardContext): Router {
  const router = Router();
  const { auth } = ctx;
  const audit = (req: Request, actor: string, action: string, outcome: 'ok' | 'failed' | 'rate_limited', role: string | null) =>
    auth.audit.record({ atMs: ctx.now(), actor, role, action, target: null, address: req.ip ?? null, outcome, detail: null });

  router.post('/login', async (req, res) => {
    const body = parseOr400(loginBody, req.body, 'body');
    const address = req.ip ?? '';
    const retryAfter = await auth.limiter.retryAfterSeconds(address, body.username);
    if (retryAfter > 0) {
      audit(req, body.username, 'auth.login', 'rate_limited', null);
      res.set('Retry-After', String(retryAfter));
      throw new ApiError(429, 'RATE_LIMITED', `too many failed sign-ins from this address; try again in ${retryAfter} s`);
    }
    // An account being guessed is slowed down, never locked: its owner must still get in.
    const slowdownMs = await auth.limiter.slowdownMs(body.username);
    if (slowdownMs > 0) await delay(slowdownMs);
    const user = await auth.users.authenticate(body.username, body.password);
    if (!user) {
      const guessed = await auth.limiter.recordFailure(address, body.username);
      audit(req, body.username, 'auth.login', 'failed', null);
      if (guessed) await reportGuessing(req, guessed);
      throw new ApiError(401, 'INVALID_CREDENTIALS', 'wrong username or password');
    }
    await auth.limiter.recordSuccess(address, body.username);
    const previous = sessionCookieOf(req.get('cookie'));
    if (previous !== undefined) await auth.sessions.close(auth.sessions.keyOf(previous));
    const { cookieValue, session } = await auth.sessions.open(user.username, address);
    setSessionCookie(req, res, cookieValue);
    audit(req, user.username, 'auth.login', 'ok', user.role);
    res.json({ user: userView({ ...user, name: user.username }), csrfToken: session.csrfToken });
  });

  /** The audit row the account's owner (and the admins) see; the platform notice follows from `limiter.guessed()`. */
  async function reportGuessing(req: Request, guessed: GuessedAccount) {
    const user = await auth.users.get(guessed.username);
    if (!user) return; // names that are no account: the per-address limit is the answer to those
    const detail = `${guessed.failures} wrong passwords from ${guessed.addresses} address(es) since ${new Date(guessed.sinceMs).toISOString()}`;
    auth.audit.record({
      atMs: ctx.now(),
      actor: guessed.username,
      role: user.role,
      action: 'auth.guessing',
      target: guessed.username,
      address: req.ip ?? null,
      outcome: 'denied',
      detail,
    });
    ctx.logger.warn(
      { username: guessed.username, failures: guessed.failures, addresses: guessed.addresses },
      'account being guessed',
    );
  }

  router.get('/me', (_req, res) => {
    const session = sessionOf(res);
    res.json({ user: userView(session), csrfToken: session.csrfToken });
  });

  router.post('/logout', async (req, res) => {
    const session = sessionOf(res);
    await auth.sessions.close(session.sessionKey);
    auth.ended({ sessionKeys: [session.sessionKey] });
    setSessionCookie(req, res, null);
    res.status(204).end();
  });

  router.post('/password', async (req, res) => {
    const session = sessionOf(res);
    const body = parseOr400(passwordBody, req.body, 'body');
    const address = req.ip ?? '';
    const retryAfter = await auth.limiter.retryAfterSeconds(address, session.name);
    if (retryAfter > 0) {
      res.set('Retry-After', String(retryAfter));
      throw new ApiError(429, 'RATE_LIMITED', `too many wrong passwords; try again in ${retryAfter} s`);
    }
    if (!(await auth.users.authenticate(session.name, body.currentPassword))) {
      const guessed = await auth.limiter.recordFailure(address, session.name);
      if (guessed) await reportGuessing(req, guessed);
      throw new ApiError(403, 'INVALID_CREDENTIALS', 'the current password is wrong');
    }
    if (body.newPassword === body.currentPassword) {
      throw new ApiError(400, 'INVALID_REQUEST', 'invalid body: newPassword: must differ from the current password');
    }
    await auth.users.update(session.name, { password: body.newPassword, mustChangePassword: false });
    // Whoever else held a session of this account is signed out; this one stays.
    auth.ended({ sessionKeys: await auth.sessions.closeAllOf(session.name, session.sessionKey) });
    res.status(204).end();
  });

  router.get('/tokens', async (_req, res) => {
    res.json({ tokens: await auth.tokens.list() });
  });

  router.post('/tokens', async (req, res) => {
    const body = parseOr400(tokenBody, req.body, 'body');
    const { token, secret } = await auth.tokens.issue({ ...body, createdBy: principalOf(res).name });
    res.status(201).json({ token, secret });
  });

  router.delete('/tokens/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!(await auth.tokens.revoke(id))) throw new ApiError(404, 'TOKEN_NOT_FOUND', `no live token with id ${id}`);
    auth.ended({ tokenIds: [id] });
    res.status(204).end();
  });

  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const authRequests = { loginBody, passwordBody, tokenBody };
