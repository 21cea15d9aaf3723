import { useMemo } from 'preact/hooks';
import { api, query } from '../../api.js';
import { Chart, type ChartOption } from '../../components/chart.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatNumber } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import type { CirculationAnswer } from './circulation-section.js';
import { PALETTE } from '../../palette.js';

const MONTHS = Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(2, '0'));
const COLOURS = { loans: PALETTE.blue, returns: PALETTE.green };

/** A month's figure, or null (a gap, not a zero) for a month before the history began or still to come. */
const figureOf = (answer: CirculationAnswer | null, month: string, key: 'loans' | 'returns') => {
  const row = answer?.rows.find((r) => r.month.endsWith(`-${month}`));
  return row === undefined || row.coverage === 'before_history' || row.coverage === 'future' ? null : row[key];
};

/**
 * Loans and returns by month of `year` (bars) beside the same months of the year before (dashed
 * lines), for the scope the table shows. Months without data are left out, never drawn as zeros.
 */
export function CirculationTrendChart({ year, scope }: { year: number; scope: Record<string, string | undefined> }) {
  const { lang, t } = useI18n();
  const load = (y: number) =>
    api.get<CirculationAnswer>(`/reports/circulation?${query({ ...scope, from: `${y}-01`, to: `${y}-12` })}`);
  const key = JSON.stringify(scope);
  const thisYear = useLoad(() => load(year), [year, key]);
  const lastYear = useLoad(() => load(year - 1), [year, key]);
  const option = useMemo((): ChartOption => {
    const series = (answer: CirculationAnswer | null, kind: 'loans' | 'returns', y: number, isThisYear: boolean) => ({
      name: `${t(kind)} ${y}`,
      type: isThisYear ? 'bar' : 'line',
      data: MONTHS.map((m) => figureOf(answer, m, kind)),
      itemStyle: { color: COLOURS[kind], opacity: isThisYear ? 1 : 0.6 },
      lineStyle: { color: COLOURS[kind], type: 'dashed' },
      connectNulls: false,
    });
    return {
      animation: false,
      grid: { left: 56, right: 12, top: 36, bottom: 28 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: MONTHS },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        series(thisYear.data, 'loans', year, true),
        series(thisYear.data, 'returns', year, true),
        series(lastYear.data, 'loans', year - 1, false),
        series(lastYear.data, 'returns', year - 1, false),
      ],
    };
  }, [thisYear.data, lastYear.data, lang]);
  const describe = (answer: CirculationAnswer | null, y: number) =>
    answer === null || answer.monthsWithData === 0
      ? t('trendNoData', { year: y })
      : t('trendYear', {
          year: y,
          loans: formatNumber(lang, answer.total.loans),
          returns: formatNumber(lang, answer.total.returns),
          months: answer.monthsWithData,
        });
  return (
    <figure class="trend-chart" data-trend-year={year}>
      <figcaption>{t('trendTitle', { year, previous: year - 1 })}</figcaption>
      <ErrorMessage error={thisYear.error ?? lastYear.error} />
      <Chart
        option={option}
        label={t('trendTitle', { year, previous: year - 1 })}
        description={`${describe(thisYear.data, year)} ${describe(lastYear.data, year - 1)}`}
        height={260}
      />
    </figure>
  );
}
