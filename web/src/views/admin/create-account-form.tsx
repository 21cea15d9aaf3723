import { useState } from 'preact/hooks';
import type { ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { useI18n } from '../../i18n.js';
import { type Account, createAccount, type NewAccount } from './admin-api.js';
import { RoleSelect } from './role-select.js';

const EMPTY: NewAccount = { username: '', displayName: '', role: 'operator', password: '', mustChangePassword: true };

/**
 * A new account with a temporary password. The user name's rules and the password's length are the
 * server's to check: its answer (field and reason) is shown next to the form.
 */
export function CreateAccountForm({ onCreated }: { onCreated: (account: Account) => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState<NewAccount>(EMPTY);
  const [error, setError] = useState<ApiError | null>(null);
  const [isBusy, setBusy] = useState(false);
  const update = (patch: Partial<NewAccount>) => setForm({ ...form, ...patch });

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await createAccount({ ...form, username: form.username.trim() }));
      setForm(EMPTY);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="report-form admin-form" onSubmit={(e) => void submit(e)} aria-labelledby="create-account-title">
      <h3 id="create-account-title" class="form-title">
        {t('createAccount')}
      </h3>
      <label>
        {t('username')}
        <input
          name="username"
          required
          autocomplete="off"
          spellcheck={false}
          value={form.username}
          onInput={(e) => update({ username: e.currentTarget.value })}
        />
      </label>
      <label>
        {t('displayName')}
        <input
          name="displayName"
          required
          maxLength={100}
          value={form.displayName}
          onInput={(e) => update({ displayName: e.currentTarget.value })}
        />
      </label>
      <RoleSelect name="role" value={form.role} onChange={(role) => update({ role })} />
      <label>
        {t('temporaryPassword')}
        <input
          name="password"
          type="password"
          required
          autocomplete="new-password"
          value={form.password}
          onInput={(e) => update({ password: e.currentTarget.value })}
        />
      </label>
      <label class="checkbox">
        <input
          name="mustChangePassword"
          type="checkbox"
          checked={form.mustChangePassword}
          onChange={(e) => update({ mustChangePassword: e.currentTarget.checked })}
        />
        {t('mustChangeAtFirstLogin')}
      </label>
      <button type="submit" data-action="create-account" disabled={isBusy}>
        {t('createAccount')}
      </button>
      <div class="form-error">
        <ErrorMessage error={error} />
      </div>
    </form>
  );
}
