import { useMemo } from 'preact/hooks';
import { api, query } from '../../api.js';
import { Chart, type ChartOption } from '../../components/chart.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatNumber } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { PALETTE } from '../../palette.js';

interface UtilisationAnswer {
  medianPerServiceDay: number | null;
  machines: Array<{ kioskId: string; name: string | null; perServiceDay: number | null; isFarBelowMedian: boolean }>;
}

const ROW_PX = 22;

/**
 * Loans + returns per day in service, machine by machine, busiest first, with the fleet median
 * drawn across: the machines far below it (red) are the ones to think of re-siting.
 */
export function UtilisationChart({ year }: { year: number }) {
  const { lang, t } = useI18n();
  const answer = useLoad(
    () => api.get<UtilisationAnswer>(`/reports/utilisation?${query({ from: `${year}-01`, to: `${year}-12` })}`),
    [year],
  );
  const ranked = useMemo(
    () =>
      (answer.data?.machines ?? [])
        .filter((m) => m.perServiceDay !== null)
        .sort((a, b) => b.perServiceDay! - a.perServiceDay! || a.kioskId.localeCompare(b.kioskId)),
    [answer.data],
  );
  const median = answer.data?.medianPerServiceDay ?? null;
  const option = useMemo(
    (): ChartOption => ({
      animation: false,
      grid: { left: 80, right: 24, top: 8, bottom: 24 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      // Busiest at the top: a category axis draws its first entry at the bottom.
      yAxis: { type: 'category', data: ranked.map((m) => m.kioskId).reverse(), axisLabel: { interval: 0 } },
      xAxis: { type: 'value', name: t('perServiceDay'), nameLocation: 'middle', nameGap: 22 },
      series: [
        {
          type: 'bar',
          name: t('perServiceDay'),
          data: ranked
            .map((m) => ({
              value: Math.round(m.perServiceDay! * 10) / 10,
              itemStyle: { color: m.isFarBelowMedian ? PALETTE.red : PALETTE.blue },
            }))
            .reverse(),
          markLine:
            median === null
              ? undefined
              : { symbol: 'none', data: [{ xAxis: median, name: t('median') }], label: { formatter: t('median') } },
        },
      ],
    }),
    [ranked, median, lang],
  );
  const farBelow = ranked.filter((m) => m.isFarBelowMedian).map((m) => m.kioskId);
  const description =
    ranked.length === 0
      ? t('utilisationNoData')
      : t('utilisationDescription', {
          n: ranked.length,
          top: ranked[0]!.kioskId,
          median: median === null ? '—' : formatNumber(lang, Math.round(median * 10) / 10),
          far: farBelow.length === 0 ? t('none') : farBelow.join(', '),
        });
  return (
    <figure class="report-chart" data-chart="utilisation" data-machines={ranked.length}>
      <figcaption>{t('utilisationTitle', { year })}</figcaption>
      <ErrorMessage error={answer.error} />
      {answer.data && ranked.length === 0 ? <p class="muted">{t('utilisationNoData')}</p> : null}
      {ranked.length > 0 ? (
        <Chart
          option={option}
          label={t('utilisationTitle', { year })}
          description={description}
          height={Math.max(120, ranked.length * ROW_PX + 40)}
        />
      ) : null}
    </figure>
  );
}
