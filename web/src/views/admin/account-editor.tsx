import { useState } from 'preact/hooks';
import type { ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { type MessageKey, useI18n } from '../../i18n.js';
import { type Account, type AccountChanges, type PersonRole, updateAccount } from './admin-api.js';
import { RoleSelect } from './role-select.js';

/**
 * One account's changes: name and role, a temporary password, disabling. Each is its own PATCH, so
 * a refusal (the last admin, a short password) names exactly what was refused.
 */
export function AccountEditor({ account, onChanged }: { account: Account; onChanged: (message: string) => void }) {
  const { t } = useI18n();
  const [displayName, setDisplayName] = useState(account.displayName);
  const [role, setRole] = useState<PersonRole>(account.role);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [isBusy, setBusy] = useState(false);
  const titleId = `edit-${account.username}-title`;
  const details: AccountChanges = {
    ...(displayName.trim() !== account.displayName ? { displayName: displayName.trim() } : {}),
    ...(role !== account.role ? { role } : {}),
  };
  const hasDetails = Object.keys(details).length > 0;

  async function change(changes: AccountChanges, done: MessageKey): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      await updateAccount(account.username, changes);
      if (changes.password !== undefined) setPassword('');
      onChanged(t(done, { username: account.username }));
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  }
  const onSubmit = (changes: AccountChanges, done: MessageKey) => (e: Event) => {
    e.preventDefault();
    void change(changes, done);
  };

  return (
    <div class="account-editor" role="group" aria-labelledby={titleId} data-editing={account.username}>
      <h3 id={titleId}>{t('editAccount', { username: account.username })}</h3>
      <form class="report-form" onSubmit={onSubmit(details, 'accountSaved')}>
        <label>
          {t('displayName')}
          <input
            name="displayName"
            required
            maxLength={100}
            value={displayName}
            onInput={(e) => setDisplayName(e.currentTarget.value)}
          />
        </label>
        <RoleSelect name="role" value={role} onChange={setRole} />
        <button type="submit" data-action="save-account" disabled={isBusy || !hasDetails}>
          {t('save')}
        </button>
      </form>
      <form class="report-form" onSubmit={onSubmit({ password }, 'passwordSet')}>
        <label>
          {t('temporaryPassword')}
          <input
            name="temporaryPassword"
            type="password"
            required
            autocomplete="new-password"
            aria-describedby={`${titleId}-password-hint`}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button type="submit" data-action="set-password" disabled={isBusy}>
          {t('setTemporaryPassword')}
        </button>
        <p id={`${titleId}-password-hint`} class="muted hint">
          {t('temporaryPasswordHint')}
        </p>
      </form>
      <div class="report-form">
        {account.disabled ? (
          <button
            type="button"
            data-action="enable-account"
            disabled={isBusy}
            onClick={() => void change({ disabled: false }, 'accountEnabled')}
          >
            {t('enableAccount')}
          </button>
        ) : (
          <button
            type="button"
            class="danger"
            data-action="disable-account"
            disabled={isBusy}
            aria-describedby={`${titleId}-disable-hint`}
            onClick={() => void change({ disabled: true }, 'accountDisabled')}
          >
            {t('disableAccount')}
          </button>
        )}
        <p id={`${titleId}-disable-hint`} class="muted hint">
          {t('disableHint')}
        </p>
      </div>
      <ErrorMessage error={error} />
    </div>
  );
}
