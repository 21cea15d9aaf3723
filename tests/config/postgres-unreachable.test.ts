import { describe, expect, test } from 'vitest';
import { isDatabaseUnreachable } from '../../config/postgres-unreachable.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('telling a database that cannot be reached from a query it refused', () => {
  test.each([
    ['the server refusing connections (stopped)', withCode('ECONNREFUSED')],
    ['every address of the host refusing', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], '')],
    ['the server shutting down (57P01 admin_shutdown)', withCode('57P01', 'terminating connection due to administrator command')],
    ['the server starting up (57P03 cannot_connect_now)', withCode('57P03', 'the database system is starting up')],
    ['a connection exception (class 08)', withCode('08006')],
    ["pg's connection ending under a query", new Error('Connection terminated unexpectedly')],
    ["the pool's wait for a connection running out", new Error('timeout exceeded when trying to connect')],
    ['any of those as the cause of a store error', new Error('append failed', { cause: withCode('ECONNREFUSED') })],
  ])('unreachable: %s', (_what, error) => {
    expect(isDatabaseUnreachable(error)).toBe(true);
  });

  test.each([
    ['a unique violation (23505)', withCode('23505', 'duplicate key value')],
    ['a syntax error (42601)', withCode('42601')],
    ['a statement timeout (57014): the server is there', withCode('57014', 'canceling statement due to statement timeout')],
    ['a plain error', new Error('boom')],
    ['a code that only looks like a socket one', withCode('SQLITE_BUSY')],
    ['not an error at all', 'ECONNREFUSED'],
  ])('not unreachable: %s', (_what, error) => {
    expect(isDatabaseUnreachable(error)).toBe(false);
  });
});
