import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { isDatabaseUnreachable } from '../config/postgres-unreachable.js';

/** An error the API answers with, as `{error: {code, message}}`. Codes are stable. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function invalidRequest(where: 'query' | 'body' | 'path', error: z.ZodError): ApiError {
  const seen = new Set<string>();
  const detail = error.issues
    .map((i) => {
      const field = i.path.length > 0 ? i.path.join('.') : where;
      // "from: from must be a month" → "from: must be a month": the field is named once.
      const message = i.message.startsWith(`${field} `) ? i.message.slice(field.length + 1) : i.message;
      return `${field}: ${message}`;
    })
    // A union reports the same issue once per branch: said once.
    .filter((line) => !seen.has(line) && seen.add(line))
    .slice(0, 5)
    .join('; ');
  return new ApiError(400, 'INVALID_REQUEST', `invalid ${where}: ${detail}`);
}

export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, where: 'query' | 'body' | 'path'): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(where, parsed.error);
  return parsed.data;
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'NOT_FOUND', `no route ${req.method} ${req.path}`));
};

/**
 * Turns anything thrown into `{error: {code, message}}`; unexpected errors are logged, not shown.
 * A database that cannot be reached answers 503 `STORE_UNAVAILABLE` (sign-in, provisioning…
 * while PostgreSQL is down).
 */
export function errorHandler(log: (error: unknown) => void): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    if (error instanceof ApiError) {
      res.status(error.status).json({ error: { code: error.code, message: error.message } });
      return;
    }
    const status = (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
    const type = (error as { type?: string }).type;
    if (type === 'entity.parse.failed') {
      const reason = String((error as Error).message);
      res.status(400).json({ error: { code: 'INVALID_JSON', message: `request body is not valid JSON: ${reason}` } });
    } else if (type === 'entity.too.deep') {
      res.status(400).json({ error: { code: 'JSON_TOO_DEEP', message: String((error as Error).message) } });
    } else if (type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'BODY_TOO_LARGE', message: 'request body is too large' } });
    } else if (status !== undefined && status >= 400 && status < 500) {
      res.status(status).json({ error: { code: 'BAD_REQUEST', message: String((error as Error).message) } });
    } else if (isDatabaseUnreachable(error)) {
      // An outage, not a fault of this request or of the code: the health page says the rest.
      res.status(503).json({ error: { code: 'STORE_UNAVAILABLE', message: 'the database cannot be reached; try again shortly' } });
    } else {
      log(error);
      res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
    }
  };
}
