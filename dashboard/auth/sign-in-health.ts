import type { PlatformComponentSample } from '../../collector/domain/platform-notices.js';
import type { Auth } from './auth-service.js';
import type { GuessedAccount } from './login-limiter.js';

/** Accounts named at most in one notice; the audit log has every one. */
const MAX_NAMED = 5;

/**
 * Sign-in as a platform component for the notice channels: degraded while an existing account is
 * being guessed (wrong passwords from anywhere past the limiter's threshold), naming the accounts.
 * The platform's samples are synchronous and the limiter's counts may be in PostgreSQL, so
 * `sample` answers with the last reading and starts the next: a sample lags one interval behind.
 */
export function createSignInHealth(auth: Auth): { sample(): PlatformComponentSample; refresh(): Promise<void> } {
  let last: PlatformComponentSample = { state: 'ok', detail: 'no account is being guessed' };
  let refreshing: Promise<void> | undefined;
  const refresh = () =>
    (refreshing ??= (async () => {
      try {
        const guessed: GuessedAccount[] = [];
        for (const g of await auth.limiter.guessed()) if ((await auth.users.get(g.username)) !== undefined) guessed.push(g);
        last = describe(guessed);
      } catch {
        last = { state: 'degraded', detail: 'the sign-in counts cannot be read' };
      } finally {
        refreshing = undefined;
      }
    })());
  return {
    sample() {
      void refresh();
      return last;
    },
    refresh,
  };
}

function describe(guessed: readonly GuessedAccount[]): PlatformComponentSample {
  if (guessed.length === 0) return { state: 'ok', detail: 'no account is being guessed' };
  const named = guessed
    .slice(0, MAX_NAMED)
    .map((g) => `${g.username} (${g.failures} wrong passwords from ${g.addresses} address(es))`)
    .join(', ');
  const more = guessed.length > MAX_NAMED ? ` and ${guessed.length - MAX_NAMED} more` : '';
  return { state: 'degraded', detail: `accounts being guessed: ${named}${more}` };
}
