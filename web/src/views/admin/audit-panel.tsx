import { useState } from 'preact/hooks';
import { ACCESS_MATRIX } from '../../../../dashboard/auth/access-matrix.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { fleetInstantOf, formatDateTime, getFleetTimeZone } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { isMessageKey, type MessageKey, useI18n } from '../../i18n.js';
import { type AuditEntry, queryAudit } from './admin-api.js';

interface Filters {
  /** Wall times in the fleet's zone, as the datetime-local inputs give them; empty for no bound. */
  from: string;
  to: string;
  actor: string;
  action: string;
  limit: string;
}

/** The server's default page size; it allows up to 5,000. */
const DEFAULT_LIMIT = '200';
const MAX_LIMIT = 5_000;
/** Every action the server records: the audited routes, and sign-ins, which the login route records itself. */
const ACTIONS = [...new Set(['auth.login', ...ACCESS_MATRIX.flatMap((rule) => (rule.audit ? [rule.audit] : []))])].sort();
const OUTCOME_CLASS: Record<AuditEntry['outcome'], string> = { ok: '', failed: 'late', denied: 'late', rate_limited: 'soon' };

const toQuery = (f: Filters) => ({
  from: f.from ? fleetInstantOf(f.from) : undefined,
  to: f.to ? fleetInstantOf(f.to) : undefined,
  actor: f.actor.trim() || undefined,
  action: f.action.trim() || undefined,
  limit: Number(f.limit) || undefined,
});

/** Who did what, newest first; filtered by time, actor and action. Reloads after every change made on this page. */
export function AuditPanel({ changeSeq }: { changeSeq: number }) {
  const { lang, t } = useI18n();
  const [form, setForm] = useState<Filters>({ from: '', to: '', actor: '', action: '', limit: DEFAULT_LIMIT });
  const [shown, setShown] = useState<Filters>(form);
  const entries = useLoad(() => queryAudit(toQuery(shown)), [shown, changeSeq]);
  const update = (patch: Partial<Filters>) => setForm({ ...form, ...patch });

  return (
    <section class="panel" aria-labelledby="audit-title">
      <h2 id="audit-title">{t('auditTitle')}</h2>
      <form
        class="report-form"
        onSubmit={(e) => {
          e.preventDefault();
          setShown({ ...form });
        }}
      >
        <label>
          {t('from')}
          <input type="datetime-local" name="from" value={form.from} onInput={(e) => update({ from: e.currentTarget.value })} />
        </label>
        <label>
          {t('to')}
          <input type="datetime-local" name="to" value={form.to} onInput={(e) => update({ to: e.currentTarget.value })} />
        </label>
        <label>
          {t('actor')}
          <input name="actor" maxLength={64} value={form.actor} onInput={(e) => update({ actor: e.currentTarget.value })} />
        </label>
        <label>
          {t('action')}
          <input
            name="action"
            list="audit-actions"
            maxLength={64}
            value={form.action}
            onInput={(e) => update({ action: e.currentTarget.value })}
          />
        </label>
        <datalist id="audit-actions">
          {ACTIONS.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
        <label>
          {t('limit')}
          <input
            type="number"
            name="limit"
            min={1}
            max={MAX_LIMIT}
            required
            value={form.limit}
            onInput={(e) => update({ limit: e.currentTarget.value })}
          />
        </label>
        <button type="submit" data-action="show-audit">
          {t('show')}
        </button>
        <p class="muted hint">{t('timesIn', { zone: getFleetTimeZone() })}</p>
      </form>
      <ErrorMessage error={entries.error} />
      {entries.data ? (
        <DataTable
          class="table compact admin-table"
          id="audit-table"
          isScrolling
          rows={entries.data}
          rowKey={(entry, i) => `${entry.at}-${i}`}
          rowAttributes={(entry) => ({ 'data-audit-action': entry.action, 'data-outcome': entry.outcome })}
          empty={t('noAuditEntries')}
          columns={[
            {
              key: 'at',
              header: t('time'),
              cell: (entry) => (
                <time dateTime={entry.at} title={entry.at}>
                  {formatDateTime(lang, entry.at)}
                </time>
              ),
            },
            { key: 'actor', header: t('actor'), cell: (entry) => entry.actor, cellAttributes: () => ({ translate: false }) },
            {
              key: 'role',
              header: t('role'),
              cell: (entry) =>
                entry.role && isMessageKey(`role_${entry.role}`) ? t(`role_${entry.role}` as MessageKey) : (entry.role ?? '—'),
            },
            {
              key: 'action',
              header: t('action'),
              cell: (entry) => (
                <>
                  {isMessageKey(`audit_${entry.action}`) ? t(`audit_${entry.action}` as MessageKey) : entry.action}{' '}
                  <code class="muted">{entry.action}</code>
                </>
              ),
            },
            { key: 'target', header: t('auditTarget'), cell: (entry) => entry.target ?? '—' },
            { key: 'address', header: t('ipAddress'), cell: (entry) => entry.address ?? '—' },
            {
              key: 'outcome',
              header: t('outcome'),
              cell: (entry) => t(`outcome_${entry.outcome}`),
              cellAttributes: (entry) => ({ class: OUTCOME_CLASS[entry.outcome] }),
            },
            {
              key: 'detail',
              header: t('detail'),
              cell: (entry) => entry.detail ?? '',
              cellAttributes: () => ({ class: 'audit-detail', translate: false }),
            },
          ]}
        />
      ) : null}
    </section>
  );
}
