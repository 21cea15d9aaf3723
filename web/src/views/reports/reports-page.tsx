import { useMemo, useState } from 'preact/hooks';
import type { IndicatorRow } from '../../../../collector/domain/indicators.js';
import { api, query } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { fleetMonthOf, formatNumber, formatPercent } from '../../format.js';
import { useLive, useLoad } from '../../hooks.js';
import { type Lang, useI18n } from '../../i18n.js';
import { LostToDowntime } from './lost-to-downtime.js';

interface CirculationAnswer {
  rows: Array<{ month: string; loans: number; returns: number; total: number; isComplete: boolean }>;
  total: { loans: number; returns: number; total: number };
}
interface IndicatorsAnswer {
  year: number;
  isComplete: boolean;
  indicators: Array<IndicatorRow & { label: string }>;
}

type ScopeKind = 'fleet' | 'district' | 'kiosk';
interface Request {
  from: string;
  to: string;
  scope: ScopeKind;
  target: string;
}

const valueOf = (lang: Lang, unit: IndicatorRow['unit'], value: number | null) =>
  value === null ? null : unit === 'ratio' ? formatPercent(lang, value) : formatNumber(lang, value);

/** The query of a circulation report: range, and a district or a machine when the scope says so. */
function circulationQuery(r: Request): Record<string, string | undefined> {
  return {
    from: r.from,
    to: r.to,
    district: r.scope === 'district' ? r.target : undefined,
    kiosk: r.scope === 'kiosk' ? r.target : undefined,
  };
}

/** Managers' reports: the monthly circulation table and the yearly indicators, previewed, then downloaded. */
export function ReportsPage() {
  const { lang, t } = useI18n();
  const kiosks = useLive((s) => s.kiosks);
  const districts = useMemo(
    () => [...new Set([...kiosks.values()].map((k) => k.district).filter((d): d is string => d !== null))].sort(),
    [kiosks],
  );
  const month = fleetMonthOf(Date.now());
  const [form, setForm] = useState<Request>({ from: `${month.slice(0, 4)}-01`, to: month, scope: 'fleet', target: '' });
  const [shown, setShown] = useState<Request>(form);
  const [year, setYear] = useState(Number(month.slice(0, 4)));
  const table = useLoad(() => api.get<CirculationAnswer>(`/reports/circulation?${query(circulationQuery(shown))}`), [shown]);
  const indicators = useLoad(() => api.get<IndicatorsAnswer>(`/reports/indicators?${query({ year, lang })}`), [year, lang]);
  const download = (format: 'csv' | 'xlsx') =>
    `api/v1/reports/circulation?${query({ ...circulationQuery(shown), format, lang })}`;
  const update = (patch: Partial<Request>) => setForm({ ...form, ...patch });

  return (
    <div class="reports">
      <section class="panel" aria-labelledby="circulation-title">
        <h1 id="circulation-title">{t('circulationTable')}</h1>
        <form
          class="report-form"
          onSubmit={(e) => {
            e.preventDefault();
            setShown(form);
          }}
        >
          <label>
            {t('from')}
            <input type="month" name="from" required value={form.from} onInput={(e) => update({ from: e.currentTarget.value })} />
          </label>
          <label>
            {t('to')}
            <input type="month" name="to" required value={form.to} onInput={(e) => update({ to: e.currentTarget.value })} />
          </label>
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
        {table.data ? (
          <table class="table numeric" id="circulation-table">
            <thead>
              <tr>
                <th scope="col">{t('month')}</th>
                <th scope="col">{t('loans')}</th>
                <th scope="col">{t('returns')}</th>
                <th scope="col">{t('total')}</th>
              </tr>
            </thead>
            <tbody>
              {table.data.rows.map((row) => (
                <tr key={row.month} data-month={row.month}>
                  <th scope="row">
                    {row.month} {row.isComplete ? null : <span class="muted">({t('incomplete')})</span>}
                  </th>
                  <td>{formatNumber(lang, row.loans)}</td>
                  <td>{formatNumber(lang, row.returns)}</td>
                  <td>{formatNumber(lang, row.total)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{t('totalRow')}</th>
                <td>{formatNumber(lang, table.data.total.loans)}</td>
                <td>{formatNumber(lang, table.data.total.returns)}</td>
                <td>{formatNumber(lang, table.data.total.total)}</td>
              </tr>
            </tfoot>
          </table>
        ) : null}
      </section>
      <LostToDowntime
        from={shown.from}
        to={shown.to}
        district={shown.scope === 'district' ? shown.target : undefined}
        kiosk={shown.scope === 'kiosk' ? shown.target : undefined}
      />
      <section class="panel" aria-labelledby="indicators-title">
        <div class="panel-head">
          <h2 id="indicators-title">{t('yearlyIndicators')}</h2>
          <label>
            {t('year')}
            <input
              type="number"
              name="year"
              min={2000}
              max={9998}
              value={year}
              onChange={(e) => setYear(Number(e.currentTarget.value))}
            />
          </label>
          <a class="button" href={`api/v1/reports/indicators?${query({ year, format: 'csv', lang })}`} download>
            {t('downloadCsv')}
          </a>
          <a class="button" href={`api/v1/reports/indicators?${query({ year, format: 'xlsx', lang })}`} download>
            {t('downloadXlsx')}
          </a>
        </div>
        <ErrorMessage error={indicators.error} />
        {indicators.data ? (
          <table class="table" id="indicators-table">
            <thead>
              <tr>
                <th scope="col">{t('indicator')}</th>
                <th scope="col">{t('target')}</th>
                <th scope="col">{t('actual')}</th>
                <th scope="col">{t('met')}</th>
              </tr>
            </thead>
            <tbody>
              {indicators.data.indicators.map((row) => (
                <tr key={row.key} data-indicator={row.key}>
                  <th scope="row">{row.label}</th>
                  <td>
                    {row.comparison === 'moreThan' ? '> ' : '≥ '}
                    {valueOf(lang, row.unit, row.target)}
                  </td>
                  <td title={row.note}>{valueOf(lang, row.unit, row.actual) ?? <span class="muted">{t('notMeasured')}</span>}</td>
                  <td class={row.isMet === false ? 'late' : row.isMet ? 'good' : ''}>
                    {row.isMet === null ? '—' : row.isMet ? t('yes') : t('no')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </div>
  );
}
