import { useMemo } from 'preact/hooks';
import { api, query } from '../../api.js';
import { Chart, type ChartOption } from '../../components/chart.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatNumber } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { PALETTE } from '../../palette.js';

interface ReliabilityAnswer {
  kiosks: Array<{
    kioskId: string;
    failures: number;
    mtbfHours: number | null;
    mttrHours: number | null;
    ageYears: number | null;
  }>;
}

/** The machines failing most often are the ones a person looks for; the rest are counted, not drawn. */
const SHOWN = 15;

/** Mean time between failures per machine over the year, shortest first, with the mean time to repair beside it. */
export function ReliabilityChart({ year }: { year: number }) {
  const { lang, t } = useI18n();
  const answer = useLoad(() => api.get<ReliabilityAnswer>(`/reliability?${query({ window: String(year) })}`), [year]);
  const failing = useMemo(() => (answer.data?.kiosks ?? []).filter((k) => k.mtbfHours !== null).slice(0, SHOWN), [answer.data]);
  const withoutFailure = (answer.data?.kiosks ?? []).filter((k) => k.failures === 0).length;
  const option = useMemo(
    (): ChartOption => ({
      animation: false,
      grid: { left: 80, right: 24, top: 32, bottom: 28 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      yAxis: { type: 'category', data: failing.map((k) => k.kioskId).reverse(), axisLabel: { interval: 0 } },
      xAxis: { type: 'value', name: t('hours'), nameLocation: 'middle', nameGap: 22 },
      series: [
        { type: 'bar', name: t('mtbf'), data: failing.map((k) => k.mtbfHours).reverse(), itemStyle: { color: PALETTE.blue } },
        { type: 'bar', name: t('mttr'), data: failing.map((k) => k.mttrHours).reverse(), itemStyle: { color: PALETTE.amber } },
      ],
    }),
    [failing, lang],
  );
  const description =
    failing.length === 0
      ? t('reliabilityNoFailures', { n: withoutFailure })
      : t('reliabilityDescription', {
          kiosk: failing[0]!.kioskId,
          mtbf: formatNumber(lang, failing[0]!.mtbfHours!),
          failures: failing[0]!.failures,
          n: withoutFailure,
        });
  return (
    <figure class="report-chart" data-chart="reliability" data-machines={failing.length}>
      <figcaption>{t('reliabilityTitle', { year })}</figcaption>
      <ErrorMessage error={answer.error} />
      <p class="muted">{description}</p>
      {/* No failure, no axes: the sentence above says so. */}
      {failing.length > 0 ? (
        <Chart
          option={option}
          label={t('reliabilityTitle', { year })}
          description={description}
          height={Math.max(140, failing.length * 28 + 60)}
        />
      ) : null}
    </figure>
  );
}
