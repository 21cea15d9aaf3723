import { useMemo, useState } from 'preact/hooks';
import type { MonthCoverage } from '../../../../collector/domain/circulation-coverage.js';
import { api, query } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { MonthPicker } from '../../components/month-picker.js';
import { fleetMonthOf, formatNumber } from '../../format.js';
import { useLive, useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { CirculationTrendChart } from './lazy-charts.js';
import { LostToDowntime } from './lost-to-downtime.js';

export interface CirculationAnswer {
  historyBegins: string | null;
  monthsWithData: number;
  rows: Array<{ month: string; loans: number; returns: number; total: number; isComplete: boolean; coverage: MonthCoverage }>;
  total: { loans: number; returns: number; total: number };
}

/** Months before the history begins or still to come have no counts to show. */
const isUncounted = (row: CirculationAnswer['rows'][number]) => row.coverage === 'before_history' || row.coverage === 'future';

type ScopeKind = 'fleet' | 'district' | 'kiosk';
interface Request {
  from: string;
  to: string;
  scope: ScopeKind;
  target: string;
}

/** The query of a circulation report: range, and a district or a machine when the scope says so. */
function circulationQuery(r: Request): Record<string, string | undefined> {
  return {
    from: r.from,
    to: r.to,
    district: r.scope === 'district' ? r.target : undefined,
    kiosk: r.scope === 'kiosk' ? r.target : undefined,
  };
}

/** The monthly circulation table: previewed with Show, downloaded as the form stands; what downtime cost over the range shown follows. */
export function CirculationSection() {
  const { lang, t } = useI18n();
  const kiosks = useLive((s) => s.kiosks);
  const districts = useMemo(
    () => [...new Set([...kiosks.values()].map((k) => k.district).filter((d): d is string => d !== null))].sort(),
    [kiosks],
  );
  const month = fleetMonthOf(Date.now());
  // The last ten years, this one and the next (months ahead show as future); older months are
  // still reachable through the API.
  const years = useMemo(() => Array.from({ length: 12 }, (_, i) => Number(month.slice(0, 4)) - 10 + i), [month]);
  const [form, setForm] = useState<Request>({ from: `${month.slice(0, 4)}-01`, to: month, scope: 'fleet', target: '' });
  const [shown, setShown] = useState<Request>(form);
  const table = useLoad(() => api.get<CirculationAnswer>(`/reports/circulation?${query(circulationQuery(shown))}`), [shown]);
  // The file is what the form says now: a manager who picks November and downloads gets November,
  // whether or not Show was pressed first.
  const download = (format: 'csv' | 'xlsx') => `api/v1/reports/circulation?${query({ ...circulationQuery(form), format, lang })}`;
  const update = (patch: Partial<Request>) => setForm({ ...form, ...patch });
  const data = table.data;

  return (
    <>
      <section class="panel" aria-labelledby="circulation-title">
        <h1 id="circulation-title">{t('circulationTable')}</h1>
        <form
          class="report-form"
          onSubmit={(e) => {
            e.preventDefault();
            setShown(form);
          }}
        >
          <MonthPicker name="from" label={t('from')} value={form.from} years={years} onChange={(from) => update({ from })} />
          <MonthPicker name="to" label={t('to')} value={form.to} years={years} onChange={(to) => update({ to })} />
          <label>
            {t('scope')}
            <select
              name="scope"
              value={form.scope}
              onChange={(e) => update({ scope: e.currentTarget.value as ScopeKind, target: '' })}
            >
              {(['fleet', 'district', 'kiosk'] as const).map((s) => (
                <option key={s} value={s}>
                  {t(`scope_${s}`)}
                </option>
              ))}
            </select>
          </label>
          {form.scope === 'district' ? (
            <label>
              {t('district')}
              <select name="district" required value={form.target} onChange={(e) => update({ target: e.currentTarget.value })}>
                <option value="" />
                {districts.map((d) => (
                  <option key={d} value={d}>
                    {d}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          {form.scope === 'kiosk' ? (
            <label>
              {t('scope_kiosk')}
              <input
                name="kiosk"
                required
                list="kiosk-ids"
                value={form.target}
                onInput={(e) => update({ target: e.currentTarget.value })}
              />
              <datalist id="kiosk-ids">
                {[...kiosks.keys()].map((id) => (
                  <option key={id} value={id} />
                ))}
              </datalist>
            </label>
          ) : null}
          <button type="submit">{t('show')}</button>
          <a class="button" href={download('csv')} download data-download="csv">
            {t('downloadCsv')}
          </a>
          <a class="button" href={download('xlsx')} download data-download="xlsx">
            {t('downloadXlsx')}
          </a>
        </form>
        <ErrorMessage error={table.error} />
        {data ? (
          <p class="muted" data-history-begins={data.historyBegins ?? ''}>
            {data.historyBegins === null ? t('historyNone') : t('historyBegins', { day: data.historyBegins })}
          </p>
        ) : null}
        {data ? (
          <DataTable
            class="table numeric"
            id="circulation-table"
            rows={data.rows}
            rowKey={(row) => row.month}
            rowAttributes={(row) => ({
              'data-month': row.month,
              'data-coverage': row.coverage,
              class: `coverage-${row.coverage}`,
            })}
            columns={[
              {
                key: 'month',
                header: t('month'),
                isRowHeader: true,
                cell: (row) => (
                  <>
                    {row.month} {row.coverage === 'running' ? <span class="muted">({t('incomplete')})</span> : null}
                    {row.coverage === 'measured' && data.historyBegins?.startsWith(row.month) ? (
                      <span class="muted">({t('measuredFrom', { day: data.historyBegins })})</span>
                    ) : null}
                  </>
                ),
              },
              // A month with nothing to count says why across its three counts.
              {
                key: 'loans',
                header: t('loans'),
                cell: (row) =>
                  isUncounted(row)
                    ? row.coverage === 'future'
                      ? t('coverageFuture')
                      : t('coverageNoDataYet')
                    : formatNumber(lang, row.loans),
                cellAttributes: (row) => (isUncounted(row) ? { colSpan: 3, class: 'muted coverage-note' } : {}),
              },
              { key: 'returns', header: t('returns'), cell: (row) => formatNumber(lang, row.returns) },
              { key: 'total', header: t('total'), cell: (row) => formatNumber(lang, row.total) },
            ]}
            footer={
              <tr>
                <th scope="row">
                  {t('totalRow')} <span class="muted">({t('totalOfMonths', { n: data.monthsWithData })})</span>
                </th>
                <td>{formatNumber(lang, data.total.loans)}</td>
                <td>{formatNumber(lang, data.total.returns)}</td>
                <td>{formatNumber(lang, data.total.total)}</td>
              </tr>
            }
          />
        ) : null}
        <CirculationTrendChart
          year={Number(shown.to.slice(0, 4))}
          scope={{ ...circulationQuery(shown), from: undefined, to: undefined }}
        />
      </section>
      <LostToDowntime
        from={shown.from}
        to={shown.to}
        district={shown.scope === 'district' ? shown.target : undefined}
        kiosk={shown.scope === 'kiosk' ? shown.target : undefined}
      />
    </>
  );
}
