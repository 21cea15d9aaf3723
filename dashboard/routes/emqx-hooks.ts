import { timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { decidePublish, decideSubscribe } from '../../broker/acl.js';
import type { Principal } from '../../broker/principal.js';
import { kioskIdSchema } from '../../protocol/topics.js';
import { ApiError, parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';

/*
 * EMQX 5's HTTP authentication and HTTP authorization call these, so an external EMQX cluster
 * admits and confines machines by the same registry and the same ACL as the embedded broker.
 * EMQX sends the body its request template says (docs/cluster.md gives the template) and reads
 * `result` from a 200 answer: `allow`, `deny`, or `ignore` (the next authenticator or authorizer
 * decides). Services (the collector) are not machines: their requests are ignored, for EMQX's own
 * user database to decide.
 */

/** EMQX writes `${retain}` and `${qos}` as text in a JSON template unless they stand unquoted. */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

const authenticateBody = z.object({
  clientid: z.string(),
  username: z.string(),
  password: z.string(),
  peerhost: z.string().optional(),
});
const authorizeBody = z.object({
  clientid: z.string(),
  username: z.string(),
  topic: z.string().min(1),
  action: z.enum(['publish', 'subscribe']),
  retain: flag.optional(),
  qos: z.union([z.number(), z.string()]).optional(),
  peerhost: z.string().optional(),
});

export const emqxHookRequests = { authenticateBody, authorizeBody } as const;
export const emqxAnswer = z.object({
  result: z.enum(['allow', 'deny', 'ignore']),
  is_superuser: z.boolean().optional().describe('authentication only: never true for a machine'),
});
type EmqxAnswer = z.infer<typeof emqxAnswer>;

/** `Authorization: Bearer <EMQX_HOOK_SECRET>`, compared in constant time. */
function requireSecret(secret: string | null): RequestHandler {
  const expected = secret === null ? null : Buffer.from(`Bearer ${secret}`);
  return (req, _res, next) => {
    if (expected === null) return next(new ApiError(404, 'NOT_FOUND', 'the EMQX hooks are off: set EMQX_HOOK_SECRET'));
    const given = Buffer.from(req.headers.authorization ?? '');
    const isValid = given.length === expected.length && timingSafeEqual(given, expected);
    if (!isValid) return next(new ApiError(401, 'UNAUTHENTICATED', 'the EMQX hooks need the configured bearer secret'));
    next();
  };
}

/** A registered machine connecting as itself (client id = user name = kiosk id), or nothing we know. */
function machineOf(
  ctx: DashboardContext,
  username: string,
  clientId: string,
): Extract<Principal, { kind: 'kiosk' }> | 'other' | 'not-itself' {
  if (!kioskIdSchema.safeParse(username).success || ctx.registry.get(username) === undefined) return 'other';
  return clientId === username ? { kind: 'kiosk', kioskId: username } : 'not-itself';
}

export function emqxHooksRouter(ctx: DashboardContext, secret: string | null): Router {
  const router = Router();
  const answer = (res: Parameters<RequestHandler>[1], body: EmqxAnswer) => void res.json(body);
  router.use(requireSecret(secret));
  router.post('/authenticate', (req, res) => {
    const body = parseOr400(authenticateBody, req.body, 'body');
    const machine = machineOf(ctx, body.username, body.clientid);
    if (machine === 'other') return answer(res, { result: 'ignore' });
    // A machine's session, takeover and will concern that machine only: its client id is its id.
    const isAllowed = machine !== 'not-itself' && ctx.registry.verifyToken(body.username, body.password);
    if (!isAllowed) ctx.logger.warn({ kioskId: body.username, peerhost: body.peerhost }, 'EMQX: machine credentials refused');
    answer(res, { result: isAllowed ? 'allow' : 'deny', is_superuser: false });
  });
  router.post('/authorize', (req, res) => {
    const body = parseOr400(authorizeBody, req.body, 'body');
    const machine = machineOf(ctx, body.username, body.clientid);
    if (machine === 'other') return answer(res, { result: 'ignore' });
    if (machine === 'not-itself') return answer(res, { result: 'deny' });
    const decision =
      body.action === 'publish'
        ? decidePublish(ctx.topics, machine, body.topic, body.retain ?? false)
        : decideSubscribe(ctx.topics, machine, body.topic);
    if (!decision.isAllowed) ctx.logger.info({ kioskId: machine.kioskId, topic: body.topic }, `EMQX: ${decision.detail}`);
    answer(res, { result: decision.isAllowed ? 'allow' : 'deny' });
  });
  return router;
}
