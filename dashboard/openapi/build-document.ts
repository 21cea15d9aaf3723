import { z } from 'zod';
import { ACCESS_MATRIX, type AccessRule } from '../auth/access-matrix.js';
import { ANSWERS, apiErrorAnswer } from './answers.js';
import { API_ROUTES, type RouteDoc } from './api-routes.js';

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a zod schema: of what a client sends, or what it gets. */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

const routeKey = (rule: Pick<AccessRule, 'method' | 'path'>) => `${rule.method} ${rule.path}`;
const errorContent = () => ({ 'application/json': { schema: jsonSchemaOf(apiErrorAnswer, 'output') } });

function parametersOf(rule: AccessRule, doc: RouteDoc): unknown[] {
  const parameters: unknown[] = [];
  for (const name of rule.path.split('/').flatMap((s) => (s.startsWith(':') ? [s.slice(1)] : []))) {
    const schema = doc.params?.[name];
    parameters.push({ name, in: 'path', required: true, schema: schema ? jsonSchemaOf(schema, 'input') : { type: 'string' } });
  }
  if (doc.query) {
    const query = jsonSchemaOf(doc.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({
        name,
        in: 'query',
        required: query.required?.includes(name) ?? false,
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  return parameters;
}

/** The statuses a route is documented to answer: its success, and the errors every such route can give. */
export function documentedStatuses(rule: AccessRule, doc: RouteDoc): number[] {
  const statuses = [doc.ok];
  if (doc.query || doc.body || doc.params) statuses.push(400);
  if (rule.roles !== 'public') statuses.push(401, 403);
  else if (doc.hasOwnSecret) statuses.push(401);
  if (doc.isLookup) statuses.push(404);
  if (doc.unavailableWhen) statuses.push(503);
  return statuses;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'INVALID_REQUEST (or INVALID_JSON): the request does not match its schema; the message names what',
  401: 'UNAUTHENTICATED: no valid session cookie or bearer token',
  403: 'FORBIDDEN: the role may not call this (or CSRF_FAILED, PASSWORD_CHANGE_REQUIRED)',
  404: 'what the path names does not exist',
};

function operationOf(rule: AccessRule, doc: RouteDoc): Record<string, unknown> {
  const key = routeKey(rule);
  const answer = (ANSWERS as Record<string, z.ZodType | undefined>)[key];
  const isWrite = rule.method !== 'GET';
  const responses: Record<string, unknown> = {};
  for (const status of documentedStatuses(rule, doc)) {
    if (status !== doc.ok) {
      const description = status === 503 ? doc.unavailableWhen : ERROR_DESCRIPTIONS[status];
      responses[String(status)] = { description, content: errorContent() };
      continue;
    }
    const media = doc.media ?? ['application/json'];
    responses[String(status)] =
      status === 204
        ? { description: 'done' }
        : {
            description: 'success',
            content: Object.fromEntries(
              media.map((type) => [
                type,
                type === 'application/json' && answer
                  ? { schema: jsonSchemaOf(answer, 'output') }
                  : { schema: { type: 'string' } },
              ]),
            ),
          };
  }
  const roles = rule.roles === 'public' ? 'anyone, without credentials' : rule.roles.join(', ');
  return {
    operationId: key.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, ''),
    summary: doc.summary,
    description: `Who may call it: ${roles}.${rule.audit ? ` Recorded in the audit log as \`${rule.audit}\`${rule.exportsOnly ? ' when it downloads a file' : ''}.` : ''}`,
    tags: [doc.tag],
    'x-roles': rule.roles,
    security:
      rule.roles === 'public'
        ? []
        : [isWrite ? { sessionCookie: [], csrfToken: [] } : { sessionCookie: [] }, { bearerToken: [] }],
    parameters: parametersOf(rule, doc),
    ...(doc.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(doc.body, 'input') } } } }
      : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of the REST API, built from the access matrix (which routes exist and who
 * may call them) and the zod schemas the routes validate requests with and answer by. A route of
 * the matrix without a description stops the build: the document cannot leave one out.
 */
export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const rule of ACCESS_MATRIX) {
    const doc = API_ROUTES[routeKey(rule)];
    if (!doc) throw new Error(`${routeKey(rule)} is in the access matrix but not described in dashboard/openapi/api-routes.ts`);
    const path = rule.path.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][rule.method.toLowerCase()] = operationOf(rule, doc);
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'kiosk-fleet REST API',
      version,
      description:
        'Monitoring of a fleet of 24-hour self-service library machines. People sign in (POST /api/v1/auth/login) and send the ' +
        'session cookie, plus X-CSRF-Token on state-changing requests; integrations send a bearer token issued by an admin.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'kf_session' },
        csrfToken: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
        bearerToken: { type: 'http', scheme: 'bearer' },
      },
    },
    paths,
  };
}
