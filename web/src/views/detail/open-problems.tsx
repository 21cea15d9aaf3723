import { faultWords } from '../../fault-words.js';
import { formatDateTime } from '../../format.js';
import { useI18n } from '../../i18n.js';
import type { AlertView, KioskView } from '../../live/live-store.js';
import { alertWords } from '../alerts/alert-words.js';

/**
 * The machine's open faults (as the machine reports them) and its open alerts (what the crew acts
 * on), at the top of its page: the first thing a crew member on site needs.
 */
export function OpenProblems({ kiosk, alerts }: { kiosk: KioskView; alerts: AlertView[] }) {
  const { lang, t } = useI18n();
  return (
    <section class="panel open-problems" data-section="open-faults" aria-labelledby="open-faults-title">
      <h2 id="open-faults-title">{t('openFaults')}</h2>
      {kiosk.openFaults.length === 0 && alerts.length === 0 ? <p class="muted">{t('none')}</p> : null}
      {kiosk.openFaults.length > 0 ? (
        <ul class="plain-list">
          {kiosk.openFaults.map((f) => (
            <li key={f.faultId} data-fault={f.code}>
              <span class={`severity severity-${f.severity}`}>{t(`severity_${f.severity}`)}</span> {faultWords(lang, f)}{' '}
              <span class="muted">
                {t('since')} {formatDateTime(lang, f.since)}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {alerts.length > 0 ? (
        <ul class="plain-list">
          {alerts.map((a) => (
            <li key={a.id} data-alert={a.id}>
              <a href={`#/alerts/${encodeURIComponent(a.id)}`}>
                {t('navAlerts')}: {alertWords(lang, a)}
              </a>{' '}
              <span class="muted">{t(`alertState_${a.state}`)}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
