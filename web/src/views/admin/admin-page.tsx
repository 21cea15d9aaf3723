import { useState } from 'preact/hooks';
import { useI18n } from '../../i18n.js';
import { AccountsPanel } from './accounts-panel.js';
import { AuditPanel } from './audit-panel.js';
import { TokensPanel } from './tokens-panel.js';

/** The administrator's page: accounts, integration tokens, and the audit log of what was done. */
export function AdminPage() {
  const { t } = useI18n();
  // Every change made here is in the audit log at once: the log below loads again after each.
  const [changeSeq, setChangeSeq] = useState(0);
  const changed = () => setChangeSeq((n) => n + 1);
  return (
    <div class="admin">
      <h1 id="admin-title">{t('adminTitle')}</h1>
      <AccountsPanel onChanged={changed} />
      <TokensPanel onChanged={changed} />
      <AuditPanel changeSeq={changeSeq} />
    </div>
  );
}
