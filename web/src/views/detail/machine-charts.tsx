import { useMemo } from 'preact/hooks';
import { api, query } from '../../api.js';
import { Chart, type ChartOption } from '../../components/chart.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatNumber, formatTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { type MessageKey, useI18n } from '../../i18n.js';
import { PALETTE } from '../../palette.js';

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
  { key: 'temperatureC', colour: PALETTE.red, axis: { scale: true } },
  { key: 'binFillPercent', colour: PALETTE.brown, axis: { min: 0, max: 100 } },
  { key: 'paperPercent', colour: PALETTE.blue, axis: { min: 0, max: 100 } },
  { key: 'booksAvailable', colour: PALETTE.green, axis: { min: 0, minInterval: 1 } },
];
const DAY_MS = 86_400_000;
type MonthRow = MachineCirculation['months'][number];
/** The month table's counted columns, in order; each header is the count's own word. */
const COUNTS = ['loans', 'returns', 'total', 'renewals', 'refused'] as const;
const OPERATION_WORDS = { loan: 'loans', return: 'returns', renewal: 'renewals' } as const;

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
        { type: 'bar', stack: 'c', name: t('loans'), data: days.map((d) => d.loans), itemStyle: { color: PALETTE.blue } },
        { type: 'bar', stack: 'c', name: t('returns'), data: days.map((d) => d.returns), itemStyle: { color: PALETTE.yellow } },
        // Beside the loans, not on top of them: a renewal is not a loan (ISO 2789).
        { type: 'bar', name: t('renewals'), data: days.map((d) => d.renewals), itemStyle: { color: PALETTE.green } },
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
      <DataTable
        class="table compact numeric"
        caption={t('byMonth')}
        rows={answer.data?.months ?? []}
        rowKey={(row) => row.month}
        columns={[
          { key: 'month', header: t('month'), isRowHeader: true, cell: (row) => row.month },
          ...COUNTS.map((key) => ({ key, header: t(key), cell: (row: MonthRow) => formatNumber(lang, row[key]) })),
        ]}
      />
      <DataTable
        class="table compact numeric"
        data-testid="refusals"
        caption={t('refusalsByReason')}
        rows={answer.data?.refusals ?? []}
        rowKey={(row) => `${row.operation}/${row.reason}`}
        emptyRow={t('none')}
        columns={[
          {
            key: 'operation',
            header: t('refusedOperation'),
            isRowHeader: true,
            cell: (row) => t(OPERATION_WORDS[row.operation]),
          },
          { key: 'reason', header: t('refusalReason'), cell: (row) => t(`refusal_${row.reason}` as MessageKey) },
          { key: 'count', header: t('refused'), cell: (row) => formatNumber(lang, row.count) },
        ]}
      />
    </>
  );
}
