import type { PlatformComponentSample } from '../../collector/domain/platform-notices.js';
import type { Auth } from './auth-service.js';

/** Accounts named at most in one notice; the audit log has every one. */
const MAX_NAMED = 5;

/**
 * Sign-in as a platform component for the notice channels: degraded while an existing account is
 * being guessed (wrong passwords from anywhere past the limiter's threshold), naming the accounts.
 */
export function signInHealth(auth: Auth): PlatformComponentSample {
  const guessed = auth.limiter.guessed().filter((g) => auth.users.get(g.username) !== undefined);
  if (guessed.length === 0) return { state: 'ok', detail: 'no account is being guessed' };
  const named = guessed
    .slice(0, MAX_NAMED)
    .map((g) => `${g.username} (${g.failures} wrong passwords from ${g.addresses} address(es))`)
    .join(', ');
  const more = guessed.length > MAX_NAMED ? ` and ${guessed.length - MAX_NAMED} more` : '';
  return { state: 'degraded', detail: `accounts being guessed: ${named}${more}` };
}
