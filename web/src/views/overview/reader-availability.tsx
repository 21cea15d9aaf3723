import { useEffect } from 'preact/hooks';
import { fetchFleetInfo } from '../../fleet-info.js';
import { formatNumber, formatPercent } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';

const REFRESH_MS = 30_000;
const READER_STATES = ['lending', 'returns_only', 'closed'] as const;

/**
 * The readers' side of the fleet: the share of expected time machines were lending (today, this
 * month; the technical availability beside it) and how many lend now, take returns only or are
 * closed. A machine in service but not lending is available technically and closed here.
 */
export function ReaderAvailability() {
  const { lang, t } = useI18n();
  const info = useLoad(fetchFleetInfo, []);
  useEffect(() => {
    const timer = setInterval(info.reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const fleet = info.data;
  const tile = (id: string, label: string, reader: number | null | undefined, technical: number | null | undefined) => (
    <div class="kpi" data-kpi={id}>
      <div class="kpi-label">{label}</div>
      <div class="kpi-value">{formatPercent(lang, reader ?? null)}</div>
      <div class="kpi-detail">{t('kpiReaderDetail', { ratio: formatPercent(lang, technical ?? null) })}</div>
    </div>
  );
  return (
    <section class="kpis" aria-label={t('readerNow')} data-reader-availability>
      {tile('reader-today', t('kpiReaderToday'), fleet?.readerAvailability.today, fleet?.availability.today)}
      {tile('reader-month', t('kpiReaderMonth'), fleet?.readerAvailability.month, fleet?.availability.month)}
      {READER_STATES.map((state) => (
        <div class={`kpi ${state === 'lending' ? 'good' : ''}`} data-kpi={`reader-${state}`} key={state}>
          <div class="kpi-label">{t(`reader_${state}`)}</div>
          <div class="kpi-value">{fleet ? formatNumber(lang, fleet.readerNow[state]) : '—'}</div>
        </div>
      ))}
    </section>
  );
}
