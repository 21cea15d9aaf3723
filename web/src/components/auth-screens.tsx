import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
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

/**
 * The current password and a new one twice: the forced change after a temporary password and the
 * header's "Change password" share it. `heading` carries the id the form is labelled by.
 */
function PasswordForm({
  headingId,
  heading,
  hint,
  onChanged,
  children,
}: {
  headingId: string;
  heading: ComponentChildren;
  hint: string;
  onChanged: () => void;
  children?: ComponentChildren;
}) {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [isBusy, setBusy] = useState(false);
  const isMismatch = repeat !== '' && next !== repeat;
  async function submit(e: Event) {
    e.preventDefault();
    if (next !== repeat) return;
    setError(null);
    setBusy(true);
    try {
      await changePassword(current, next);
      onChanged();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="auth-form" onSubmit={(e) => void submit(e)} aria-labelledby={headingId}>
      {heading}
      <p id={`${headingId}-hint`}>{hint}</p>
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
          aria-describedby={`${headingId}-hint`}
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
      <div class="button-row">
        <button type="submit" data-action="save-password" disabled={isMismatch || isBusy}>
          {t('savePassword')}
        </button>
        {children}
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

/** A first sign-in with a temporary password must choose a new one before anything else. */
export function PasswordScreen({ onChanged }: { onChanged: () => void }) {
  const { t } = useI18n();
  return (
    <main class="auth-screen" id="main">
      <PasswordForm
        headingId="password-title"
        heading={<h1 id="password-title">{t('passwordTitle')}</h1>}
        hint={t('passwordHint')}
        onChanged={onChanged}
      />
    </main>
  );
}

/**
 * A signed-in person changes their own password in a modal dialog (Escape closes it; the browser
 * returns the focus to the header's button). This session stays; the account's others end.
 */
export function PasswordDialog({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const done = useRef<HTMLButtonElement>(null);
  const [isChanged, setChanged] = useState(false);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  useEffect(() => {
    if (isChanged) done.current?.focus();
  }, [isChanged]);
  const close = () => dialog.current?.close();
  return (
    <dialog ref={dialog} class="password-dialog" aria-labelledby="change-password-title" onClose={onClose}>
      {isChanged ? (
        <div class="auth-form">
          <h2 id="change-password-title">{t('changePassword')}</h2>
          <p role="status" class="good" data-status="password-changed">
            {t('passwordChanged')}
          </p>
          <div class="button-row">
            <button ref={done} type="button" data-action="close-password" onClick={close}>
              {t('close')}
            </button>
          </div>
        </div>
      ) : (
        <PasswordForm
          headingId="change-password-title"
          heading={<h2 id="change-password-title">{t('changePassword')}</h2>}
          hint={t('changePasswordHint')}
          onChanged={() => setChanged(true)}
        >
          <button type="button" class="secondary" data-action="cancel-password" onClick={close}>
            {t('cancel')}
          </button>
        </PasswordForm>
      )}
    </dialog>
  );
}
