import { api, query } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime, formatPercent } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import type { AlertView } from '../../live/live-store.js';
import { STATE_COLOURS, type ServiceState } from '../../states.js';
import { alertWords } from '../alerts/alert-words.js';

const WINDOWS = ['24h', '7d', '30d'] as const;
const RESULTS = ['pass', 'issues_found', 'fail'] as const;
const isResult = (r: string): r is (typeof RESULTS)[number] => (RESULTS as readonly string[]).includes(r);

interface UptimeAnswer {
  kiosks: Array<{ kioskId: string; uptimeRatio: number | null; enoughData: boolean }>;
}
interface TimelineAnswer {
  window: { from: string; to: string; countedTo: string };
  intervals: Array<{ state: ServiceState; from: string; to: string }>;
}

/** Uptime over 24 h, 7 days, 30 days and this month (fleet time zone). */
export function UptimePanel({ kioskId, month, refreshKey }: { kioskId: string; month: string; refreshKey: unknown }) {
  const { lang, t } = useI18n();
  const windows = [...WINDOWS, month];
  const answer = useLoad(
    () =>
      Promise.all(
        windows.map((window) =>
          api.get<UptimeAnswer>(`/uptime?${query({ window, kiosk: kioskId })}`).then((a) => a.kiosks[0] ?? null),
        ),
      ),
    [kioskId, month, refreshKey],
  );
  // Minutes of watching would read "100 %": the API says when a window rests on too little.
  const uptimeText = (k: UptimeAnswer['kiosks'][number] | null) =>
    k && !k.enoughData ? t('notEnoughData') : formatPercent(lang, k?.uptimeRatio ?? null);
  return (
    <>
      <ErrorMessage error={answer.error} />
      <dl class="uptime">
        {windows.map((window, i) => (
          <div key={window} data-window={window}>
            <dt>{window === month ? t('thisMonth') : t(`window_${window as (typeof WINDOWS)[number]}`)}</dt>
            <dd>{answer.data ? uptimeText(answer.data[i] ?? null) : '…'}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

/** The machine's service states over the last 7 days as one strip of coloured segments. */
export function StateTimeline({ kioskId, refreshKey }: { kioskId: string; refreshKey: unknown }) {
  const { lang, t } = useI18n();
  const answer = useLoad(
    () => api.get<TimelineAnswer>(`/uptime/timeline?${query({ kiosk: kioskId, window: '7d' })}`),
    [kioskId, refreshKey],
  );
  if (!answer.data) return <ErrorMessage error={answer.error} />;
  const fromMs = Date.parse(answer.data.window.from);
  const spanMs = Date.parse(answer.data.window.countedTo) - fromMs || 1;
  return (
    <div>
      <ol class="timeline" aria-label={t('timeline')}>
        {answer.data.intervals.map((interval) => {
          // Each segment at its own time: a machine first heard from today has nothing before today.
          const startMs = Math.max(Date.parse(interval.from), fromMs);
          const leftPercent = ((startMs - fromMs) / spanMs) * 100;
          const widthPercent = ((Date.parse(interval.to) - startMs) / spanMs) * 100;
          const label = `${t(`state_${interval.state}`)}: ${formatDateTime(lang, interval.from)} – ${formatDateTime(lang, interval.to)}`;
          return (
            <li
              key={interval.from}
              data-state={interval.state}
              title={label}
              style={{
                left: `${leftPercent}%`,
                width: `${widthPercent}%`,
                background: STATE_COLOURS[interval.state].background,
              }}
            >
              {/* Text, not aria-label: screen readers do not read a name given to a list item. */}
              <span class="visually-hidden">{label}</span>
            </li>
          );
        })}
      </ol>
      <div class="timeline-axis muted">
        <span>{formatDateTime(lang, answer.data.window.from)}</span>
        <span>{formatDateTime(lang, answer.data.window.countedTo)}</span>
      </div>
    </div>
  );
}

/** The machine's resolved alerts (the open ones head the page). */
export function FaultsPanel({ kioskId, refreshKey }: { kioskId: string; refreshKey: unknown }) {
  const { lang, t } = useI18n();
  const past = useLoad(
    () => api.get<{ alerts: AlertView[] }>(`/alerts?${query({ kiosk: kioskId, state: 'resolved', limit: 20 })}`),
    [kioskId, refreshKey],
  );
  return (
    <div>
      <h3>{t('pastFaults')}</h3>
      <ErrorMessage error={past.error} />
      {past.data && past.data.alerts.length === 0 ? <p class="muted">{t('none')}</p> : null}
      <ul class="plain-list">
        {(past.data?.alerts ?? []).map((a) => (
          <li key={a.id} data-alert={a.id}>
            <span class={`severity severity-${a.severity}`}>{t(`severity_${a.severity}`)}</span> {alertWords(lang, a)}{' '}
            <span class="muted">
              {formatDateTime(lang, a.openedAt)}
              {a.resolved ? ` – ${formatDateTime(lang, a.resolved.at)}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

interface InspectionHistory {
  inspections: Array<{ id: string; inspectedAt: string; week: string; inspector: string; result: string; notes: string | null }>;
}

/** The machine's inspections over the last 12 weeks. */
export function InspectionsPanel({ kioskId }: { kioskId: string }) {
  const { lang, t } = useI18n();
  const answer = useLoad(() => api.get<InspectionHistory>(`/inspections/history?${query({ kiosk: kioskId })}`), [kioskId]);
  if (!answer.data) return <ErrorMessage error={answer.error} />;
  return (
    <DataTable
      class="table compact"
      rows={answer.data.inspections.slice(-12).reverse()}
      rowKey={(i) => i.id}
      empty={t('none')}
      columns={[
        { key: 'week', header: t('week'), cell: (i) => i.week },
        { key: 'inspectedAt', header: t('inspections'), cell: (i) => formatDateTime(lang, i.inspectedAt) },
        { key: 'inspector', header: t('inspector'), cell: (i) => i.inspector },
        { key: 'result', header: t('result'), cell: (i) => (isResult(i.result) ? t(`result_${i.result}`) : i.result) },
      ]}
    />
  );
}
