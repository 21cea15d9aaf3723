import { useState } from 'preact/hooks';
import { useLive } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { alertWords } from '../views/alerts/alert-words.js';

/**
 * The newest critical alert, announced to screen readers and shown under the header, in the
 * page's flow (sticky at the top while scrolling): floating over the header it hid the navigation
 * on a phone, where the header wraps to several lines.
 */
export function CriticalBanner() {
  const { lang, t } = useI18n();
  const news = useLive((s) => s.newCritical);
  const [dismissedSeq, setDismissedSeq] = useState(0);
  const isShown = news !== null && news.seq > dismissedSeq;
  return (
    <div class="critical-live" aria-live="assertive" role="alert">
      {isShown ? (
        <div class="critical-banner" data-alert={news.alert.id}>
          <a href="#/alerts">{t('newCritical', { title: alertWords(lang, news.alert), kiosk: news.alert.kioskId })}</a>
          <button type="button" aria-label={t('dismiss')} onClick={() => setDismissedSeq(news.seq)}>
            ×
          </button>
        </div>
      ) : null}
    </div>
  );
}
