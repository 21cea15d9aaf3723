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
type ValueAxis = { min?: number; max?: number; scale?: boolean; minInterval?: number };
/**
 * Each reading on an axis a person reads at a glance: percentages always 0–100 (a bin at 84 % must
 * not look full because the axis ends at 85), books from 0, temperatures around their readings.
 */
const TELEMETRY: ReadonlyArray<{ key: TelemetryKey; colour: string; axis: ValueAxis }> = [
  { key: 'temperatureC', colour: '#c0262d', axis: { scale: true } },
  { key: 'binFillPercent', colour: '#7a4a1e', axis: { min: 0, max: 100 } },
  { key: 'paperPercent', colour: '#1f5fbf', axis: { min: 0, max: 100 } },
  { key: 'booksAvailable', colour: '#1b7a36', axis: { min: 0, minInterval: 1 } },
];
const DAY_MS = 86_400_000;

const lineOption = (points: Array<[number, number]>, colour: string, axis: ValueAxis, lang: 'en' | 'zh'): ChartOption => ({
  animation: false,
  grid: { left: 44, right: 12, top: 10, bottom: 24 },
  tooltip: { trigger: 'axis' },
  // The whole 24 hours, so two readings from the last hour are not stretched across the chart.
  xAxis: {
    type: 'time',
    min: (points[points.length - 1]?.[0] ?? Date.now()) - DAY_MS,
    max: Math.max(points[points.length - 1]?.[0] ?? 0, Date.now()),
    axisLabel: { formatter: (ms: number) => formatTime(lang, new Date(ms).toISOString()), hideOverlap: true },
  },
  yAxis: { type: 'value', ...axis },
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
      TELEMETRY.map(({ key, colour, axis }) => {
        const points = (answer.data?.readings ?? [])
          .filter((r) => r[key] !== undefined)
          .map((r): [number, number] => [Date.parse(r.ts), r[key]!]);
        return { key, option: lineOption(points, colour, axis, lang), count: points.length, description: describe(points) };
      }),
    [answer.data, lang],
  );
  return (
    <div class="chart-grid">
      <ErrorMessage error={answer.error} />
      {options.map(({ key, option, count, description }) => (
        <figure key={key} class="mini-chart" data-reading={key} data-readings={count}>
          <figcaption>{t(key as MessageKey)}</figcaption>
          {/* Empty axes look like a broken chart: say there is nothing yet instead. */}
          {count === 0 ? (
            <p class="muted no-readings">{answer.data ? t('noReadingsYet') : t('loading')}</p>
          ) : (
            <Chart option={option} label={t(key as MessageKey)} description={description} height={150} />
          )}
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
      {days.some((d) => d.total + d.renewals > 0) ? (
        <Chart option={option} label={t('byDay')} description={description} height={200} />
      ) : (
        <p class="muted no-readings">{answer.data ? t('noReadingsYet') : t('loading')}</p>
      )}
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
