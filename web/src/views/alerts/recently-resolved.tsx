import { api, query } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import type { AlertView } from '../../live/live-store.js';
import { alertWords } from './alert-words.js';

const SHOWN = 10;

/** The last alerts resolved (by the crew or by the machine), loaded again whenever the open ones change. */
export function RecentlyResolved({ refreshKey }: { refreshKey: unknown }) {
  const { lang, t } = useI18n();
  const answer = useLoad(
    () => api.get<{ alerts: AlertView[] }>(`/alerts?${query({ state: 'resolved', limit: SHOWN })}`),
    [refreshKey],
  );
  const alerts = answer.data?.alerts ?? [];
  return (
    <section class="panel" aria-labelledby="resolved-title">
      <h2 id="resolved-title">{t('recentlyResolved')}</h2>
      <ErrorMessage error={answer.error} />
      {answer.data && alerts.length === 0 ? <p class="muted">{t('none')}</p> : null}
      <ul class="plain-list resolved-list" id="resolved-alerts">
        {alerts.map((a) => (
          <li key={a.id} data-alert={a.id} data-kiosk={a.kioskId}>
            <a href={`#/kiosk/${encodeURIComponent(a.kioskId)}`}>{a.kioskId}</a> {alertWords(lang, a)}{' '}
            <span class="muted">
              {t('resolvedAt')} {formatDateTime(lang, a.resolved?.at ?? null)} ·{' '}
              {a.resolved?.how === 'automatic' ? t('resolvedAutomatically') : t('resolvedBy', { by: a.resolved?.by ?? '' })}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
