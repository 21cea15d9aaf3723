import { useState } from 'preact/hooks';
import type { IndicatorKey, IndicatorRow, IndicatorTargets } from '../../../../collector/domain/indicators.js';
import { api, query } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { fleetMonthOf, formatDateTime, formatNumber } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { type MessageKey, useI18n } from '../../i18n.js';
import { formatIndicatorValue } from './indicator-value.js';
import { TargetsForm, type TargetsAnswer } from './targets-form.js';

interface IndicatorsAnswer {
  year: number;
  isComplete: boolean;
  targets: IndicatorTargets;
  targetsAreReference: boolean;
  circulationPace: number | null;
  indicators: Array<IndicatorRow & { label: string }>;
}

const EXPLANATION: Record<IndicatorKey, MessageKey> = {
  machinesOperated: 'explainMachinesOperated',
  circulation: 'explainCirculation',
  weeklyInspection: 'explainWeeklyInspection',
  availability24h: 'explainAvailability',
  faultsRestoredWithin24h: 'explainFaultsRestored',
  reservationsDeliveredWithin72h: 'explainReservations',
};

/**
 * The yearly indicators as a person reads them: what each one means and how it was measured are on
 * the page (not in a tooltip), shares in whole percent, the circulation's pace spelled out, and the
 * library's own targets editable where they differ from the reference network's.
 */
export function IndicatorsSection() {
  const { lang, t } = useI18n();
  const [year, setYear] = useState(Number(fleetMonthOf(Date.now()).slice(0, 4)));
  const [isEditing, setEditing] = useState(false);
  const [saved, setSaved] = useState(0);
  const indicators = useLoad(
    () => api.get<IndicatorsAnswer>(`/reports/indicators?${query({ year, lang })}`),
    [year, lang, saved],
  );
  const targets = useLoad(() => api.get<TargetsAnswer>('/reports/targets'), [saved]);
  const data = indicators.data;
  const hasFullShareTarget = data?.indicators.some((row) => row.unit === 'ratio' && row.target >= 1) ?? false;

  return (
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
        {targets.data && !isEditing ? (
          <button type="button" data-action="edit-targets" onClick={() => setEditing(true)}>
            {t('editTargets')}
          </button>
        ) : null}
      </div>
      {targets.data ? (
        <p class="muted" data-targets={targets.data.isReference ? 'reference' : 'library'}>
          {targets.data.isReference
            ? t('targetsReference')
            : t('targetsLibrary', { by: targets.data.updatedBy ?? '', at: formatDateTime(lang, targets.data.updatedAt) })}
        </p>
      ) : null}
      {isEditing && targets.data ? (
        <TargetsForm
          current={targets.data}
          onCancel={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            setSaved((n) => n + 1);
          }}
        />
      ) : null}
      <ErrorMessage error={indicators.error ?? targets.error} />
      {data ? (
        <DataTable
          class="table indicators"
          id="indicators-table"
          rows={data.indicators}
          rowKey={(row) => row.key}
          rowAttributes={(row) => ({ 'data-indicator': row.key })}
          columns={[
            {
              key: 'indicator',
              header: t('indicator'),
              isRowHeader: true,
              cell: (row) => (
                <>
                  {row.label}
                  <p class="indicator-explanation" data-explanation>
                    {t(EXPLANATION[row.key])}
                  </p>
                </>
              ),
            },
            {
              key: 'target',
              header: t('target'),
              cell: (row) => (
                <>
                  {row.comparison === 'moreThan' ? '> ' : '≥ '}
                  {formatIndicatorValue(lang, row, row.target)}
                </>
              ),
            },
            {
              key: 'actual',
              header: t('actual'),
              cell: (row) => formatIndicatorValue(lang, row, row.actual) ?? <span class="muted">{t('notMeasured')}</span>,
              cellAttributes: () => ({ 'data-actual': 'true' }),
            },
            {
              key: 'met',
              header: t('met'),
              cell: (row) => (row.isMet === null ? '—' : row.isMet ? t('yes') : t('no')),
              cellAttributes: (row) => ({ class: row.isMet === false ? 'late' : row.isMet ? 'good' : '' }),
            },
            {
              key: 'note',
              header: t('howMeasured'),
              cell: (row) => (
                <>
                  {row.note}
                  {row.key === 'circulation' && data.circulationPace !== null ? (
                    <p data-pace>
                      {t('paceExplained', {
                        pace: formatNumber(lang, data.circulationPace),
                        target: formatNumber(lang, row.target),
                        actual: formatNumber(lang, row.actual ?? 0),
                      })}
                    </p>
                  ) : null}
                </>
              ),
              cellAttributes: () => ({ class: 'indicator-note', 'data-note': 'true' }),
            },
          ]}
        />
      ) : null}
      {hasFullShareTarget ? (
        <p class="muted" data-full-share-hint>
          {t('fullShareHint')}
        </p>
      ) : null}
    </section>
  );
}
