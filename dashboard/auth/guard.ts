import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ApiError } from '../api-error.js';
import { ACCESS_MATRIX, type AccessRule, findRule, paramsOf } from './access-matrix.js';
import { auditDetail, boundedCopy } from './audit-detail.js';
import { type Auth, AuthUnavailableError } from './auth-service.js';
import type { Principal } from './roles.js';

/** Case-insensitive and slash-tolerant, as express's own matching is: `/API/v1` reaches the API too. */
const GUARDED = /^\/+(api|metrics)(\/|$)/i;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What a person who must change their password may still do. */
const WHILE_PASSWORD_CHANGE = new Set(['/api/v1/auth/me', '/api/v1/auth/logout', '/api/v1/auth/password']);

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new ApiError(401, 'UNAUTHENTICATED', 'sign in first');
  return principal;
}

export function bearerOf(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header === undefined) return undefined;
  return /^Bearer (\S+)$/.exec(header)?.[1] ?? '';
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Deny by default: every request under `/api` and `/metrics` needs a rule in the access matrix, and
 * (unless the rule is public) a session cookie or bearer token whose role the rule allows. State-
 * changing requests signed in by cookie must carry the session's `X-CSRF-Token`. Audited actions
 * are recorded when the answer is sent.
 */
export function guard(
  auth: Auth,
  onAuditError: (error: unknown) => void,
  matrix: readonly AccessRule[] = ACCESS_MATRIX,
): RequestHandler {
  return async (req, res, next) => {
    if (!GUARDED.test(req.path)) return next();
    const rule = findRule(req.method, req.path, matrix);
    if (rule?.roles === 'public') return next();
    let principal: Principal | null | undefined;
    try {
      principal = await auth.authenticate({ cookieHeader: req.get('cookie'), bearer: bearerOf(req) });
    } catch (error) {
      if (error instanceof AuthUnavailableError) return next(new ApiError(503, error.code, error.message));
      return next(error);
    }
    if (!principal) {
      const message = principal === null ? 'the session or token is not valid (expired, revoked or signed out)' : 'sign in first';
      return next(new ApiError(401, 'UNAUTHENTICATED', message));
    }
    res.locals.principal = principal;
    const record = auditor(auth, req, res, principal);
    if (!rule) {
      // Unknown, or mounted without a rule in the access matrix: either way, not there for anyone.
      return next(new ApiError(404, 'NOT_FOUND', `no route ${req.method} ${req.path} (routes need a rule in the access matrix)`));
    }
    // The action this request is audited as, if it is one (a GET only when it downloads an export).
    const action =
      rule.audit !== undefined && (rule.method !== 'GET' || (rule.exportsOnly === true && isExport(req)))
        ? rule.audit
        : undefined;
    const refused = action ?? `access ${rule.method} ${rule.path}`;
    if (!rule.roles.includes(principal.role)) {
      record(refused, rule, 'denied');
      return next(new ApiError(403, 'FORBIDDEN', `role ${principal.role} may not ${rule.method} ${rule.path}`));
    }
    if (principal.kind === 'session') {
      if (principal.mustChangePassword && !WHILE_PASSWORD_CHANGE.has(rule.path)) {
        return next(new ApiError(403, 'PASSWORD_CHANGE_REQUIRED', 'change your password first (POST /api/v1/auth/password)'));
      }
      if (!SAFE_METHODS.has(req.method)) {
        if (!sameSecret(req.get('x-csrf-token') ?? '', principal.csrfToken)) {
          record(refused, rule, 'denied', 'CSRF token missing or wrong');
          return next(new ApiError(403, 'CSRF_FAILED', 'state-changing requests need the X-CSRF-Token header of this session'));
        }
      }
    }
    if (action) {
      // The response is already sent: an error here reaches no handler, and thrown from an emitter
      // it would end the process. Report it and carry on.
      res.on('finish', () => {
        try {
          record(action, rule, res.statusCode < 400 ? 'ok' : 'failed');
        } catch (error) {
          onAuditError(error);
        }
      });
    }
    next();
  };
}

function isExport(req: Request): boolean {
  return req.query.format === 'csv' || req.query.format === 'xlsx';
}

function auditor(auth: Auth, req: Request, res: Response, principal: Principal) {
  const path = req.path; // read now: routers below rewrite it while they handle the request
  return (action: string, rule: AccessRule, outcome: 'ok' | 'failed' | 'denied', note?: string) => {
    const target = paramsOf(rule, path).join('/');
    auth.audit.record({
      atMs: auth.now(),
      actor: principal.name,
      role: principal.role,
      action,
      target: target === '' ? null : target,
      address: req.ip ?? null,
      outcome,
      detail: note ?? detailOf(req, res, outcome),
    });
  };
}

/** The request's body (secrets left out) or query, and the status, bounded: enough to see what was done. */
function detailOf(req: Request, res: Response, outcome: string): string {
  const body: unknown = req.body && typeof req.body === 'object' ? boundedCopy(req.body) : {};
  const what = req.method === 'GET' ? { query: boundedCopy(req.query) } : Array.isArray(body) ? { body } : (body as object);
  return auditDetail(outcome === 'denied' ? what : { ...what, status: res.statusCode });
}
