import { Router, type RequestHandler } from 'express';
import { TokenBucket } from '../../broker/token-bucket.js';
import { ApiError } from '../api-error.js';
import type { DashboardContext } from '../context.js';
import { createPublicStatus, PUBLIC_STATUS_MAX_AGE_S } from '../public-status.js';

/** Per address: 60 answers a minute sustained, 30 at once (a page and its reloads, a few phones behind one NAT). */
const RATE = { ratePerWindow: 60, windowMs: 60_000, burst: 30 } as const;
/** Addresses remembered at most; the oldest are forgotten first (a flood of addresses cannot grow memory). */
const MAX_ADDRESSES = 50_000;

/** A token bucket per client address; answers 429 with Retry-After when it is empty. */
export function perAddressLimit(now: () => number): RequestHandler {
  const buckets = new Map<string, TokenBucket>();
  return (req, res, next) => {
    const address = req.ip ?? 'unknown';
    let bucket = buckets.get(address);
    if (!bucket) {
      if (buckets.size >= MAX_ADDRESSES) buckets.delete(buckets.keys().next().value!);
      buckets.set(address, (bucket = new TokenBucket(RATE, now())));
    }
    if (bucket.take(now())) return next();
    res.set('Retry-After', String(Math.ceil(RATE.windowMs / RATE.ratePerWindow / 1000)));
    next(new ApiError(429, 'RATE_LIMITED', 'too many requests from this address; try again in a few seconds'));
  };
}

/** `GET /api/v1/public/status`: open to everyone, cacheable for a few seconds, rate-limited per address. */
export function publicStatusRouter(ctx: DashboardContext): Router {
  const router = Router();
  const status = createPublicStatus(ctx);
  router.get('/status', perAddressLimit(ctx.now), (_req, res) => {
    res.set('Cache-Control', `public, max-age=${PUBLIC_STATUS_MAX_AGE_S}`);
    res.set('Access-Control-Allow-Origin', '*'); // the library's website and app read it from their own origins
    res.json(status());
  });
  return router;
}
