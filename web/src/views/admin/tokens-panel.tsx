import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { type IntegrationToken, listTokens, revokeToken } from './admin-api.js';
import { type IssuedToken, IssueTokenForm } from './issue-token-form.js';
import { OneTimeSecret } from './one-time-secret.js';

/** Revoking asks once more in place; the safe choice (cancel) takes the focus. */
function RevokeControl({ token, onRevoked }: { token: IntegrationToken; onRevoked: () => void }) {
  const { t } = useI18n();
  const [isConfirming, setConfirming] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const start = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    if (isConfirming) cancel.current?.focus();
    else if (wasConfirming.current) start.current?.focus();
    wasConfirming.current = isConfirming;
  }, [isConfirming]);

  async function revoke() {
    setError(null);
    try {
      await revokeToken(token.id);
      onRevoked();
    } catch (err) {
      setError(err as ApiError);
    }
  }

  if (!isConfirming) {
    return (
      <button ref={start} type="button" class="danger" data-action="revoke-token" onClick={() => setConfirming(true)}>
        {t('revoke')}
        <span class="visually-hidden" translate={false}>
          {' '}
          {token.name}
        </span>
      </button>
    );
  }
  const questionId = `revoke-${token.id}`;
  return (
    <div class="confirm" role="group" aria-labelledby={questionId}>
      <span id={questionId}>{t('confirmRevoke', { name: token.name })}</span>
      <div class="button-row">
        <button type="button" class="danger" data-action="confirm-revoke" onClick={() => void revoke()}>
          {t('confirmRevokeYes')}
        </button>
        <button ref={cancel} type="button" class="secondary" data-action="cancel-revoke" onClick={() => setConfirming(false)}>
          {t('cancel')}
        </button>
      </div>
      <ErrorMessage error={error} />
    </div>
  );
}

/** Names people chose: a browser's translation must not rewrite them. */
const UNTRANSLATED = () => ({ translate: false });

/** Live tokens first, newest first; revoked ones stay listed with when they were revoked. */
const byLiveThenNewest = (a: IntegrationToken, b: IntegrationToken) =>
  Number(a.revokedAt !== null) - Number(b.revokedAt !== null) || b.createdAt.localeCompare(a.createdAt);

/** Bearer tokens of integrations (lending platform, couriers, the metrics scraper): issue, see, revoke. */
export function TokensPanel({ onChanged }: { onChanged: () => void }) {
  const { lang, t } = useI18n();
  const tokens = useLoad(listTokens, []);
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [notice, setNotice] = useState('');
  // A revoked token's row loses its button: the focus goes back to the panel's heading, not the page's top.
  const heading = useRef<HTMLHeadingElement>(null);
  const changed = (message: string) => {
    setNotice(message);
    tokens.reload();
    onChanged();
  };
  const sorted = [...(tokens.data ?? [])].sort(byLiveThenNewest);

  return (
    <section class="panel" aria-labelledby="tokens-title">
      <h2 id="tokens-title" ref={heading} tabIndex={-1}>
        {t('tokensTitle')}
      </h2>
      <IssueTokenForm
        onIssued={(next) => {
          setIssued(next);
          changed(t('tokenIssued', { name: next.token.name }));
        }}
      />
      {issued ? <OneTimeSecret name={issued.token.name} secret={issued.secret} onDone={() => setIssued(null)} /> : null}
      <p role="status" class="notice" data-notice="tokens">
        {notice}
      </p>
      <ErrorMessage error={tokens.error} />
      {tokens.data ? (
        <DataTable
          class="table admin-table"
          id="tokens-table"
          isScrolling
          rows={sorted}
          rowKey={(token) => token.id}
          rowAttributes={(token) => ({
            'data-token': token.id,
            'data-token-name': token.name,
            'data-revoked': String(token.revokedAt !== null),
          })}
          empty={t('noTokens')}
          columns={[
            { key: 'name', header: t('tokenName'), isRowHeader: true, cell: (token) => token.name, cellAttributes: UNTRANSLATED },
            { key: 'role', header: t('role'), cell: (token) => t(`role_${token.role}`) },
            { key: 'createdBy', header: t('createdBy'), cell: (token) => token.createdBy, cellAttributes: UNTRANSLATED },
            { key: 'created', header: t('created'), cell: (token) => formatDateTime(lang, token.createdAt) },
            { key: 'lastUsed', header: t('lastUsed'), cell: (token) => formatDateTime(lang, token.lastUsedAt) },
            {
              key: 'status',
              header: t('status'),
              cell: (token) =>
                token.revokedAt === null ? (
                  <RevokeControl
                    token={token}
                    onRevoked={() => {
                      if (issued?.token.id === token.id) setIssued(null);
                      changed(t('tokenRevoked', { name: token.name }));
                      heading.current?.focus();
                    }}
                  />
                ) : (
                  <span class="muted">{t('revokedAt', { at: formatDateTime(lang, token.revokedAt) })}</span>
                ),
            },
          ]}
        />
      ) : null}
    </section>
  );
}
