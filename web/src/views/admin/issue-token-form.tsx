import { useState } from 'preact/hooks';
import type { ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { useI18n } from '../../i18n.js';
import { type IntegrationToken, issueToken, type Role } from './admin-api.js';
import { RoleSelect } from './role-select.js';

export interface IssuedToken {
  token: IntegrationToken;
  secret: string;
}

/** A bearer token for an integration: its roles first, then the roles of people a script may act as. */
export function IssueTokenForm({ onIssued }: { onIssued: (issued: IssuedToken) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('metrics');
  const [error, setError] = useState<ApiError | null>(null);
  const [isBusy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onIssued(await issueToken(name.trim(), role));
      setName('');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="report-form admin-form" onSubmit={(e) => void submit(e)} aria-labelledby="issue-token-title">
      <h3 id="issue-token-title" class="form-title">
        {t('issueToken')}
      </h3>
      <label>
        {t('tokenName')}
        <input name="tokenName" required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <RoleSelect name="tokenRole" isForToken value={role} onChange={setRole} />
      <button type="submit" data-action="issue-token" disabled={isBusy}>
        {t('issueToken')}
      </button>
      <div class="form-error">
        <ErrorMessage error={error} />
      </div>
    </form>
  );
}
