import { useEffect } from 'preact/hooks';
import { fetchFleetInfo } from '../../fleet-info.js';
import { useLive, useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { formatNumber, formatPercent } from '../../format.js';

/** Availability and circulation change slowly: fetched again every half minute. */
const REFRESH_MS = 30_000;

function Kpi(props: {
  id: string;
  label: string;
  value: string;
  detail?: string | undefined;
  tone?: 'bad' | 'good' | undefined;
}) {
  return (
    <div class={`kpi ${props.tone ?? ''}`} data-kpi={props.id}>
      <div class="kpi-label">{props.label}</div>
      <div class="kpi-value">{props.value}</div>
      {props.detail ? <div class="kpi-detail">{props.detail}</div> : null}
    </div>
  );
}

export function KpiTiles() {
  const { lang, t } = useI18n();
  const info = useLoad(fetchFleetInfo, []);
  useEffect(() => {
    const timer = setInterval(info.reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const openAlerts = useLive((s) => s.alerts.size);
  const promises = useLive((s) => s.promises);
  const fleet = info.data;
  const inspections = promises?.inspections;
  const reservations = promises?.reservations;
  const circulation = fleet?.circulation;
  return (
    <section class="kpis" aria-label={t('kpiSection')}>
      <Kpi
        id="availability-today"
        label={t('kpiAvailabilityToday')}
        value={formatPercent(lang, fleet?.availability.today ?? null)}
      />
      <Kpi
        id="availability-month"
        label={t('kpiAvailabilityMonth')}
        value={formatPercent(lang, fleet?.availability.month ?? null)}
      />
      <Kpi
        id="open-alerts"
        label={t('kpiOpenAlerts')}
        value={formatNumber(lang, openAlerts)}
        tone={openAlerts > 0 ? 'bad' : 'good'}
      />
      <Kpi
        id="inspections-due"
        label={t('kpiInspectionsDue')}
        value={inspections ? formatNumber(lang, inspections.due + inspections.overdue) : '—'}
        detail={inspections && inspections.overdue > 0 ? `${formatNumber(lang, inspections.overdue)} ${t('overdue')}` : undefined}
        tone={inspections && inspections.overdue > 0 ? 'bad' : undefined}
      />
      <Kpi
        id="reservations-at-risk"
        label={t('kpiReservationsAtRisk')}
        value={reservations ? formatNumber(lang, reservations.atRisk) : '—'}
        detail={
          reservations && reservations.breached > 0 ? `${formatNumber(lang, reservations.breached)} ${t('breached')}` : undefined
        }
        tone={reservations && reservations.atRisk + reservations.breached > 0 ? 'bad' : undefined}
      />
      <Kpi
        id="circulation-month"
        label={t('kpiCirculationMonth')}
        value={circulation ? formatNumber(lang, circulation.month.total) : '—'}
        detail={circulation ? t('ofPace', { pace: formatNumber(lang, circulation.monthPace) }) : undefined}
        tone={circulation ? (circulation.month.total >= circulation.monthPace ? 'good' : 'bad') : undefined}
      />
      <Kpi
        id="circulation-year"
        label={t('kpiCirculationYear')}
        value={circulation ? formatNumber(lang, circulation.year.total) : '—'}
        // Spelled out: "pace 61,000 / 150,000" read as a second target, not as what is due by today.
        detail={
          circulation
            ? t('yearPaceDetail', {
                pace: formatNumber(lang, circulation.yearPace),
                target: formatNumber(lang, circulation.yearTarget),
              })
            : undefined
        }
        tone={circulation ? (circulation.year.total >= circulation.yearPace ? 'good' : 'bad') : undefined}
      />
    </section>
  );
}
