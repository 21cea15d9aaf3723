import { useState } from 'preact/hooks';
import type { ApiError } from '../api.js';
import { useI18n } from '../i18n.js';
import { changePassword, logIn, type Session } from '../session.js';
import { ErrorMessage } from './error-message.js';
import { LanguageSwitch } from './language-switch.js';

/** User name and password; a wrong pair or too many attempts is said plainly. */
export function LoginScreen({ onSession }: { onSession: (session: Session) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [isBusy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSession(await logIn(username, password));
    } catch (err) {
      setError(err as ApiError);
      setPassword('');
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="auth-screen" id="main">
      <form class="auth-form" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <div class="auth-top">
          <h1 id="login-title">{t('loginTitle')}</h1>
          <LanguageSwitch />
        </div>
        <p class="muted">{t('appTitle')}</p>
        <label>
          {t('username')}
          <input
            name="username"
            autocomplete="username"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          {t('password')}
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={isBusy}>
          {t('signIn')}
        </button>
        <ErrorMessage error={error} />
      </form>
    </main>
  );
}

/** A first sign-in with a temporary password must choose a new one before anything else. */
export function PasswordScreen({ onChanged }: { onChanged: () => void }) {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const isMismatch = repeat !== '' && next !== repeat;
  async function submit(e: Event) {
    e.preventDefault();
    if (next !== repeat) return;
    setError(null);
    try {
      await changePassword(current, next);
      onChanged();
    } catch (err) {
      setError(err as ApiError);
    }
  }
  return (
    <main class="auth-screen" id="main">
      <form class="auth-form" onSubmit={(e) => void submit(e)} aria-labelledby="password-title">
        <h1 id="password-title">{t('passwordTitle')}</h1>
        <p>{t('passwordHint')}</p>
        <label>
          {t('currentPassword')}
          <input
            name="currentPassword"
            type="password"
            autocomplete="current-password"
            required
            value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        </label>
        <label>
          {t('newPassword')}
          <input
            name="newPassword"
            type="password"
            autocomplete="new-password"
            required
            minLength={12}
            value={next}
            onInput={(e) => setNext(e.currentTarget.value)}
          />
        </label>
        <label>
          {t('repeatPassword')}
          <input
            name="repeatPassword"
            type="password"
            autocomplete="new-password"
            required
            value={repeat}
            aria-invalid={isMismatch}
            onInput={(e) => setRepeat(e.currentTarget.value)}
          />
        </label>
        {isMismatch ? (
          <p class="error" role="alert">
            {t('passwordsDiffer')}
          </p>
        ) : null}
        <button type="submit" disabled={isMismatch}>
          {t('savePassword')}
        </button>
        <ErrorMessage error={error} />
      </form>
    </main>
  );
}
