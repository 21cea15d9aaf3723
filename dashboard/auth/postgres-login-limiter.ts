import type pg from 'pg';
import type { GuessedAccount, LoginLimiter, LoginLimits } from './login-limiter.js';

/** PostgreSQL text cannot hold NUL; a name typed into the sign-in form can. */
const storable = (text: string) => text.replaceAll('\u0000', '\uFFFD');

interface GuessedRow {
  username: string;
  failures: number;
  addresses: number;
  since_ms: number;
}

/**
 * The login limiter with its failures in PostgreSQL: every node counts every node's failures, so a
 * guesser spreading tries over the nodes behind a load balancer meets the same limits as against
 * one (the same rules as login-limiter.ts). Failures older than the window are deleted as new ones
 * come. An account is reported as being guessed once per wave across the nodes
 * (`login_guessing_reported`).
 */
export function createPostgresLoginLimiter(pool: pg.Pool, now: () => number, limits: LoginLimits): LoginLimiter {
  const since = () => now() - limits.windowMs;

  /** Seconds until the `limit`-th newest matching failure leaves the window; 0 with fewer than `limit`. */
  async function wait(where: string, params: unknown[], limit: number): Promise<number> {
    const { rows } = await pool.query<{ at_ms: number }>(
      `SELECT at_ms FROM login_failures WHERE ${where} AND at_ms > $1 ORDER BY at_ms DESC OFFSET ${limit - 1} LIMIT 1`,
      [since(), ...params],
    );
    return rows[0] === undefined ? 0 : Math.ceil((rows[0].at_ms + limits.windowMs - now()) / 1000);
  }

  async function guessedOf(username: string): Promise<GuessedAccount | null> {
    const { rows } = await pool.query<GuessedRow>(
      `SELECT $2::text AS username, count(*)::integer AS failures, count(DISTINCT address)::integer AS addresses,
         min(at_ms) AS since_ms
       FROM login_failures WHERE username = $2 AND at_ms > $1`,
      [since(), username],
    );
    const row = rows[0]!;
    if (row.failures < limits.guessedAfter) {
      await pool.query('DELETE FROM login_guessing_reported WHERE username = $1', [username]);
      return null;
    }
    return { username, failures: row.failures, addresses: row.addresses, sinceMs: row.since_ms };
  }

  return {
    async retryAfterSeconds(address, username) {
      const [byAddress, byPair] = await Promise.all([
        wait('address = $2', [storable(address)], limits.perAddress),
        wait(
          'address = $2 AND username = $3 AND NOT forgiven',
          [storable(address), storable(username)],
          limits.perAccountAndAddress,
        ),
      ]);
      return Math.max(byAddress, byPair);
    },
    slowdownMs: async (username) => ((await guessedOf(storable(username))) ? limits.slowdownMs : 0),
    async recordFailure(address, username) {
      const name = storable(username);
      await pool.query('DELETE FROM login_failures WHERE at_ms <= $1', [since()]);
      await pool.query('INSERT INTO login_failures (at_ms, username, address) VALUES ($1, $2, $3)', [
        now(),
        name,
        storable(address),
      ]);
      const guessed = await guessedOf(name);
      if (!guessed) return null;
      const { rows } = await pool.query(
        'INSERT INTO login_guessing_reported (username) VALUES ($1) ON CONFLICT DO NOTHING RETURNING username',
        [name],
      );
      return rows.length > 0 ? guessed : null;
    },
    async recordSuccess(address, username) {
      await pool.query('UPDATE login_failures SET forgiven = true WHERE address = $1 AND username = $2', [
        storable(address),
        storable(username),
      ]);
    },
    async guessed() {
      const { rows } = await pool.query<GuessedRow>(
        `SELECT username, count(*)::integer AS failures, count(DISTINCT address)::integer AS addresses, min(at_ms) AS since_ms
         FROM login_failures WHERE at_ms > $1 GROUP BY username HAVING count(*) >= $2 ORDER BY username`,
        [since(), limits.guessedAfter],
      );
      return rows.map((r) => ({ username: r.username, failures: r.failures, addresses: r.addresses, sinceMs: r.since_ms }));
    },
  };
}
