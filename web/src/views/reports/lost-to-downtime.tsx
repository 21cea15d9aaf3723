import { api, query } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatNumber } from '../../format.js';
import { type HistoryShortfall, shortfallWords } from '../../history-shortfall.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';

interface Lost {
  expected: number | null;
  low: number | null;
  high: number | null;
  downtimeHours: number | null;
  insufficientHistory?: HistoryShortfall | null;
}
interface UtilisationAnswer {
  machines: Array<{ kioskId: string; name: string | null; lostToDowntime: Lost | null }>;
  lostToDowntime: (Lost & { kiosksWithoutEstimate: number }) | null;
}

/** Machines listed: the ones that lost the most; the export has every machine and month. */
const SHOWN_MACHINES = 10;

/**
 * "Estimated transactions lost to downtime" over the report's range (the utilisation report's
 * column): the total with its 90 % interval, and the machines that lost the most.
 */
export function LostToDowntime(props: { from: string; to: string; district?: string | undefined; kiosk?: string | undefined }) {
  const { lang, t } = useI18n();
  const answer = useLoad(
    () =>
      api.get<UtilisationAnswer>(`/reports/utilisation?${query({ from: props.from, to: props.to, district: props.district })}`),
    [props.from, props.to, props.district],
  );
  const round = (n: number | null) => (n === null ? '—' : formatNumber(lang, Math.round(n)));
  const data = answer.data;
  const machines = (data?.machines ?? [])
    .filter((m) => props.kiosk === undefined || m.kioskId === props.kiosk)
    .filter((m) => (m.lostToDowntime?.downtimeHours ?? 0) > 0 || m.lostToDowntime?.insufficientHistory)
    .sort((a, b) => (b.lostToDowntime?.expected ?? -1) - (a.lostToDowntime?.expected ?? -1));
  const total = props.kiosk === undefined ? data?.lostToDowntime : machines[0]?.lostToDowntime;
  return (
    <section class="panel" aria-labelledby="lost-title" data-lost-to-downtime>
      <h2 id="lost-title">{t('lostTitle')}</h2>
      <ErrorMessage error={answer.error} />
      {data && !data.lostToDowntime ? <p class="muted">{t('notMeasured')}</p> : null}
      {data?.lostToDowntime ? (
        <>
          <p>
            <strong id="lost-total">{round(total?.expected ?? 0)}</strong>{' '}
            <span class="muted">{t('lostInterval', { low: round(total?.low ?? 0), high: round(total?.high ?? 0) })}</span>
          </p>
          <p class="muted">{t('lostExplain')}</p>
          {machines.length > 0 ? (
            <DataTable
              class="table numeric compact"
              id="lost-table"
              rows={machines.slice(0, SHOWN_MACHINES)}
              rowKey={(m) => m.kioskId}
              rowAttributes={(m) => ({ 'data-kiosk': m.kioskId })}
              columns={[
                { key: 'kiosk', header: t('scope_kiosk'), isRowHeader: true, cell: (m) => m.name ?? m.kioskId },
                {
                  key: 'lost',
                  header: t('lostColumn'),
                  cell: (m) =>
                    m.lostToDowntime?.expected === null ? (
                      <span class="muted" title={shortfallWords(lang, m.lostToDowntime.insufficientHistory)}>
                        {t('notEnoughHistory')}
                      </span>
                    ) : (
                      `${round(m.lostToDowntime?.expected ?? null)} (${round(m.lostToDowntime?.low ?? null)}–${round(m.lostToDowntime?.high ?? null)})`
                    ),
                },
                {
                  key: 'downtimeHours',
                  header: t('downtimeHours'),
                  cell: (m) => formatNumber(lang, Math.round((m.lostToDowntime?.downtimeHours ?? 0) * 10) / 10),
                },
              ]}
            />
          ) : null}
        </>
      ) : null}
    </section>
  );
}
