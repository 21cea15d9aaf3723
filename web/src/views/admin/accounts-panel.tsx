import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { AccountEditor } from './account-editor.js';
import { listAccounts } from './admin-api.js';
import { CreateAccountForm } from './create-account-form.js';

const COLUMNS = 7;

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
      <div class="table-scroll">
        <table class="table admin-table" id="accounts-table">
          <thead>
            <tr>
              <th scope="col">{t('username')}</th>
              <th scope="col">{t('displayName')}</th>
              <th scope="col">{t('role')}</th>
              <th scope="col">{t('status')}</th>
              <th scope="col">{t('mustChangePassword')}</th>
              <th scope="col">{t('updated')}</th>
              <th scope="col">
                <span class="visually-hidden">{t('edit')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(accounts.data ?? []).map((account) => {
              const isEditing = editing === account.username;
              return (
                <Fragment key={account.username}>
                  <tr data-user={account.username} data-disabled={String(account.disabled)}>
                    <th scope="row">{account.username}</th>
                    <td>{account.displayName}</td>
                    <td data-role={account.role}>{t(`role_${account.role}`)}</td>
                    <td>
                      <span class={`pill ${account.disabled ? 'pill-disabled' : ''}`}>
                        {account.disabled ? t('accountOff') : t('accountOn')}
                      </span>
                    </td>
                    <td>{account.mustChangePassword ? t('yes') : t('no')}</td>
                    <td>{formatDateTime(lang, account.updatedAt)}</td>
                    <td>
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
                    </td>
                  </tr>
                  {isEditing ? (
                    <tr class="editor-row">
                      <td colSpan={COLUMNS} id={`editor-${account.username}`}>
                        <AccountEditor account={account} onChanged={changed} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
