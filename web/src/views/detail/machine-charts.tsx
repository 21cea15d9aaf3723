import { useMemo } from 'preact/hooks';
import { api, query } from '../../api.js';
import { Chart, type ChartOption } from '../../components/chart.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatNumber, formatTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { type MessageKey, useI18n } from '../../i18n.js';

interface TelemetryAnswer {
  readings: Array<{ ts: string } & Partial<Record<TelemetryKey, number>>>;
}
interface MachineCirculation {
  days: Array<{ day: string; loans: number; returns: number; total: number; renewals: number; refused: number }>;
  months: Array<{
    month: string;
    loans: number;
    returns: number;
    total: number;
    renewals: number;
    refused: number;
    isComplete: boolean;
  }>;
  refusals: Array<{ operation: 'loan' | 'return' | 'renewal'; reason: string; count: number }>;
}

type TelemetryKey = 'temperatureC' | 'binFillPercent' | 'paperPercent' | 'booksAvailable';
const TELEMETRY: ReadonlyArray<{ key: TelemetryKey; colour: string }> = [
  { key: 'temperatureC', colour: '#c0262d' },
  { key: 'binFillPercent', colour: '#7a4a1e' },
  { key: 'paperPercent', colour: '#1f5fbf' },
  { key: 'booksAvailable', colour: '#1b7a36' },
];

const lineOption = (points: Array<[number, number]>, colour: string, lang: 'en' | 'zh'): ChartOption => ({
  animation: false,
  grid: { left: 44, right: 12, top: 10, bottom: 24 },
  tooltip: { trigger: 'axis' },
  xAxis: {
    type: 'time',
    axisLabel: { formatter: (ms: number) => formatTime(lang, new Date(ms).toISOString()), hideOverlap: true },
  },
  yAxis: { type: 'value', scale: true },
  series: [
    { type: 'line', showSymbol: false, data: points, lineStyle: { color: colour, width: 2 }, itemStyle: { color: colour } },
  ],
});

/** Temperature, bin fill, paper and books available over the last 24 hours: four small line charts. */
export function TelemetryCharts({ kioskId, refreshKey }: { kioskId: string; refreshKey: unknown }) {
  const { lang, t } = useI18n();
  const answer = useLoad(
    () => api.get<TelemetryAnswer>(`/kiosks/${encodeURIComponent(kioskId)}/history/telemetry?hours=24`),
    [kioskId, refreshKey],
  );
  const describe = (points: Array<[number, number]>) => {
    if (points.length === 0) return t('chartNoReadings');
    const values = points.map(([, value]) => value);
    return t('chartReadingsDescription', {
      n: formatNumber(lang, points.length),
      latest: formatNumber(lang, values[values.length - 1]!),
      min: formatNumber(lang, Math.min(...values)),
      max: formatNumber(lang, Math.max(...values)),
    });
  };
  const options = useMemo(
    () =>
      TELEMETRY.map(({ key, colour }) => {
        const points = (answer.data?.readings ?? [])
          .filter((r) => r[key] !== undefined)
          .map((r): [number, number] => [Date.parse(r.ts), r[key]!]);
        return { key, option: lineOption(points, colour, lang), count: points.length, description: describe(points) };
      }),
    [answer.data, lang],
  );
  return (
    <div class="chart-grid">
      <ErrorMessage error={answer.error} />
      {options.map(({ key, option, count, description }) => (
        <figure key={key} class="mini-chart" data-readings={count}>
          <figcaption>{t(key as MessageKey)}</figcaption>
          <Chart option={option} label={t(key as MessageKey)} description={description} height={150} />
        </figure>
      ))}
    </div>
  );
}

/** Loans and returns per day over the last 30 days (stacked bars) and per month of this year (a table). */
export function CirculationPanel({ kioskId }: { kioskId: string }) {
  const { lang, t } = useI18n();
  const answer = useLoad(
    () => api.get<MachineCirculation>(`/kiosks/${encodeURIComponent(kioskId)}/history/circulation?${query({ days: 30 })}`),
    [kioskId],
  );
  const option = useMemo<ChartOption>(() => {
    const days = answer.data?.days ?? [];
    return {
      animation: false,
      grid: { left: 40, right: 12, top: 28, bottom: 24 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { type: 'bar', stack: 'c', name: t('loans'), data: days.map((d) => d.loans), itemStyle: { color: '#1f5fbf' } },
        { type: 'bar', stack: 'c', name: t('returns'), data: days.map((d) => d.returns), itemStyle: { color: '#f2b705' } },
        // Beside the loans, not on top of them: a renewal is not a loan (ISO 2789).
        { type: 'bar', name: t('renewals'), data: days.map((d) => d.renewals), itemStyle: { color: '#1b7a36' } },
      ],
    };
  }, [answer.data, lang]);
  const days = answer.data?.days ?? [];
  const description = t('chartCirculationDescription', {
    days: days.length,
    loans: formatNumber(
      lang,
      days.reduce((sum, d) => sum + d.loans, 0),
    ),
    returns: formatNumber(
      lang,
      days.reduce((sum, d) => sum + d.returns, 0),
    ),
  });
  return (
    <>
      <ErrorMessage error={answer.error} />
      <h3>{t('byDay')}</h3>
      <Chart option={option} label={t('byDay')} description={description} height={200} />
      <table class="table compact numeric">
        <caption>{t('byMonth')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('month')}</th>
            <th scope="col">{t('loans')}</th>
            <th scope="col">{t('returns')}</th>
            <th scope="col">{t('total')}</th>
            <th scope="col">{t('renewals')}</th>
            <th scope="col">{t('refused')}</th>
          </tr>
        </thead>
        <tbody>
          {(answer.data?.months ?? []).map((row) => (
            <tr key={row.month}>
              <th scope="row">{row.month}</th>
              <td>{formatNumber(lang, row.loans)}</td>
              <td>{formatNumber(lang, row.returns)}</td>
              <td>{formatNumber(lang, row.total)}</td>
              <td>{formatNumber(lang, row.renewals)}</td>
              <td>{formatNumber(lang, row.refused)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table class="table compact numeric" data-testid="refusals">
        <caption>{t('refusalsByReason')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('refusedOperation')}</th>
            <th scope="col">{t('refusalReason')}</th>
            <th scope="col">{t('refused')}</th>
          </tr>
        </thead>
        <tbody>
          {(answer.data?.refusals ?? []).length === 0 ? (
            <tr>
              <td colSpan={3}>{t('none')}</td>
            </tr>
          ) : (
            (answer.data?.refusals ?? []).map((row) => (
              <tr key={`${row.operation}/${row.reason}`}>
                <th scope="row">{t(row.operation === 'loan' ? 'loans' : row.operation === 'return' ? 'returns' : 'renewals')}</th>
                <td>{t(`refusal_${row.reason}` as MessageKey)}</td>
                <td>{formatNumber(lang, row.count)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </>
  );
}
