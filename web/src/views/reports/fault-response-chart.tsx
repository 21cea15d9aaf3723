import { useMemo } from 'preact/hooks';
import { api, query } from '../../api.js';
import { Chart, type ChartOption } from '../../components/chart.js';
import { ErrorMessage } from '../../components/error-message.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { formatShare } from './indicator-value.js';
import { PALETTE } from '../../palette.js';

interface FaultResponseAnswer {
  promiseHours: number;
  months: Array<{
    month: string;
    alertsOpened: number;
    restored: number;
    shareRestoredWithinPromise: number | null;
    medianTimeToRestoreHours: number | null;
  }>;
}

/** Fault alerts opened each month of the year (bars) and the share restored within the promise (line, right axis). */
export function FaultResponseChart({ year }: { year: number }) {
  const { lang, t } = useI18n();
  const answer = useLoad(() => api.get<FaultResponseAnswer>(`/fault-response?${query({ year })}`), [year]);
  const months = answer.data?.months ?? [];
  const option = useMemo(
    (): ChartOption => ({
      animation: false,
      grid: { left: 48, right: 56, top: 36, bottom: 28 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: months.map((m) => m.month.slice(5)) },
      yAxis: [
        { type: 'value', minInterval: 1, name: t('alertsOpened') },
        { type: 'value', min: 0, max: 100, name: '%', splitLine: { show: false } },
      ],
      series: [
        { type: 'bar', name: t('alertsOpened'), data: months.map((m) => m.alertsOpened), itemStyle: { color: PALETTE.amber } },
        {
          type: 'line',
          yAxisIndex: 1,
          name: t('restoredWithinPromise', { h: answer.data?.promiseHours ?? 24 }),
          // A month without a decided alert has no share: a gap, not 0 % or 100 %.
          data: months.map((m) =>
            m.shareRestoredWithinPromise === null ? null : Math.round(m.shareRestoredWithinPromise * 100),
          ),
          itemStyle: { color: PALETTE.green },
          connectNulls: false,
        },
      ],
    }),
    [answer.data, lang],
  );
  const opened = months.reduce((sum, m) => sum + m.alertsOpened, 0);
  const restored = months.reduce((sum, m) => sum + m.restored, 0);
  const decided = months.filter((m) => m.shareRestoredWithinPromise !== null);
  const description =
    opened === 0
      ? t('faultResponseNone', { year })
      : t('faultResponseDescription', {
          year,
          opened,
          restored,
          latest: decided.length === 0 ? '—' : formatShare(lang, decided[decided.length - 1]!.shareRestoredWithinPromise!),
        });
  return (
    <figure class="report-chart" data-chart="fault-response" data-alerts={opened}>
      <figcaption>{t('faultResponseTitle', { year, h: answer.data?.promiseHours ?? 24 })}</figcaption>
      <ErrorMessage error={answer.error} />
      <p class="muted">{description}</p>
      {opened > 0 ? (
        <Chart
          option={option}
          label={t('faultResponseTitle', { year, h: answer.data?.promiseHours ?? 24 })}
          description={description}
          height={240}
        />
      ) : null}
    </figure>
  );
}
