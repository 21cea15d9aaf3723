import { useState } from 'preact/hooks';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { AccountEditor } from './account-editor.js';
import { listAccounts } from './admin-api.js';
import { CreateAccountForm } from './create-account-form.js';

/** Every person's account; one at a time opens for editing below its row. */
export function AccountsPanel({ onChanged }: { onChanged: () => void }) {
  const { lang, t } = useI18n();
  const accounts = useLoad(listAccounts, []);
  const [editing, setEditing] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const changed = (message: string) => {
    setNotice(message);
    accounts.reload();
    onChanged();
  };

  return (
    <section class="panel" aria-labelledby="accounts-title">
      <h2 id="accounts-title">{t('accountsTitle')}</h2>
      <CreateAccountForm onCreated={(account) => changed(t('accountCreated', { username: account.username }))} />
      <p role="status" class="notice" data-notice="accounts">
        {notice}
      </p>
      <ErrorMessage error={accounts.error} />
      <DataTable
        class="table admin-table"
        id="accounts-table"
        isScrolling
        rows={accounts.data ?? []}
        rowKey={(account) => account.username}
        rowAttributes={(account) => ({ 'data-user': account.username, 'data-disabled': String(account.disabled) })}
        columns={[
          { key: 'username', header: t('username'), isRowHeader: true, cell: (account) => account.username },
          { key: 'displayName', header: t('displayName'), cell: (account) => account.displayName },
          {
            key: 'role',
            header: t('role'),
            cell: (account) => t(`role_${account.role}`),
            cellAttributes: (account) => ({ 'data-role': account.role }),
          },
          {
            key: 'status',
            header: t('status'),
            cell: (account) => (
              <span class={`pill ${account.disabled ? 'pill-disabled' : ''}`}>
                {account.disabled ? t('accountOff') : t('accountOn')}
              </span>
            ),
          },
          {
            key: 'mustChangePassword',
            header: t('mustChangePassword'),
            cell: (account) => (account.mustChangePassword ? t('yes') : t('no')),
          },
          { key: 'updated', header: t('updated'), cell: (account) => formatDateTime(lang, account.updatedAt) },
          {
            key: 'edit',
            header: <span class="visually-hidden">{t('edit')}</span>,
            cell: (account) => {
              const isEditing = editing === account.username;
              return (
                <button
                  type="button"
                  class="secondary"
                  data-action="edit-account"
                  aria-expanded={isEditing}
                  aria-controls={isEditing ? `editor-${account.username}` : undefined}
                  onClick={() => setEditing(isEditing ? null : account.username)}
                >
                  {isEditing ? t('close') : t('edit')}
                  <span class="visually-hidden"> {account.username}</span>
                </button>
              );
            },
          },
        ]}
        afterRow={(account, columnCount) =>
          editing === account.username ? (
            <tr class="editor-row">
              <td colSpan={columnCount} id={`editor-${account.username}`}>
                <AccountEditor account={account} onChanged={changed} />
              </td>
            </tr>
          ) : null
        }
      />
    </section>
  );
}
