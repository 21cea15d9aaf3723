/**
 * Whether an error (or one of its causes) says the database could not be reached, as opposed to a
 * query it refused: the server is down, restarting or shutting down, the connection was cut, or
 * none could be opened in time. Such a failure passes by itself; the API answers it 503, not 500.
 */

/** Socket errors of a server that is not there (node's codes). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/**
 * SQLSTATE class 08 (connection exception) and the operator intervention codes a stopping or
 * starting server sends: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now.
 */
const isUnreachableSqlState = (code: string) => code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
/** What pg says without a code: its connection ended under it, or the pool waited in vain. */
const PG_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /^Client has encountered a connection error/];

function isUnreachableOne(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnreachableSqlState(code)))) return true;
  if (typeof message === 'string' && PG_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // node's connect() to every address of a host fails as one AggregateError.
  return error instanceof AggregateError && error.errors.some(isUnreachableOne);
}

export function isDatabaseUnreachable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current !== undefined && current !== null && !seen.has(current); ) {
    if (isUnreachableOne(current)) return true;
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
