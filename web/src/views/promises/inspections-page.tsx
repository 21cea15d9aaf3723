import { api } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime, formatDayOfWeek, formatPercent } from '../../format.js';
import { useLive, useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { RecordInspection } from './record-inspection.js';

interface WeekReport {
  week: string;
  startsAt: string;
  endsAt: string;
  expected: number;
  complianceRatio: number | null;
  done: Array<{ kioskId: string; inspections: Array<{ id: string; inspectedAt: string; inspector: string; result: string }> }>;
  due: string[];
  overdue: string[];
}

const RESULTS = ['pass', 'issues_found', 'fail'] as const;
const isResult = (r: string): r is (typeof RESULTS)[number] => (RESULTS as readonly string[]).includes(r);

function KioskLink({ id }: { id: string }) {
  return <a href={`#/kiosk/${encodeURIComponent(id)}`}>{id}</a>;
}

/**
 * This week's inspection promise (every machine once a week): overdue, due and done machines; the
 * crew (`recorder`, their display name) records an inspection here.
 */
export function InspectionsPage({ recorder }: { recorder: string | null }) {
  const { lang, t } = useI18n();
  // The live summary moves whenever an inspection is recorded: the week's lists load again then.
  const summary = useLive((s) => s.promises?.inspections);
  const report = useLoad(() => api.get<WeekReport>('/inspections'), [summary?.done, summary?.week]);
  const r = report.data;
  return (
    <section class="panel" aria-labelledby="inspections-title">
      <h1 id="inspections-title">{t('inspectionsTitle')}</h1>
      <ErrorMessage error={report.error} />
      {r ? (
        <>
          <p>
            {/* Monday to Sunday, as a person names the week; the API's end is the instant it is over. */}
            {t('week')} {r.week} (
            <span data-week-range>
              {formatDayOfWeek(lang, r.startsAt)} – {formatDayOfWeek(lang, new Date(Date.parse(r.endsAt) - 1).toISOString())}
            </span>
            ) · {t('compliance')} <strong>{formatPercent(lang, r.complianceRatio)}</strong>
          </p>
          {recorder ? (
            // Machines done already stay choosable: a second visit, or one dated earlier, is recorded too.
            <RecordInspection
              kioskIds={[...r.overdue, ...r.due, ...r.done.map((d) => d.kioskId)]}
              inspector={recorder}
              onRecorded={report.reload}
            />
          ) : null}
          <div class="columns-3">
            <div data-column="overdue">
              <h2 class="late">
                {t('overdue')} ({r.overdue.length})
              </h2>
              <ul class="chip-list">
                {r.overdue.map((id) => (
                  <li key={id} class="chip late">
                    <KioskLink id={id} />
                  </li>
                ))}
              </ul>
            </div>
            <div data-column="due">
              <h2>
                {t('due')} ({r.due.length})
              </h2>
              <ul class="chip-list">
                {r.due.map((id) => (
                  <li key={id} class="chip">
                    <KioskLink id={id} />
                  </li>
                ))}
              </ul>
            </div>
            <div data-column="done">
              <h2 class="good">
                {t('done')} ({r.done.length})
              </h2>
              <ul class="plain-list">
                {r.done.map((d) => (
                  <li key={d.kioskId}>
                    <KioskLink id={d.kioskId} />{' '}
                    <span class="muted">
                      {d.inspections
                        .map(
                          (i) =>
                            `${formatDateTime(lang, i.inspectedAt)} ${i.inspector} (${isResult(i.result) ? t(`result_${i.result}`) : i.result})`,
                        )
                        .join('; ')}
                    </span>
                  </li>
                ))}
              </ul>
            </div>
          </div>
        </>
      ) : null}
    </section>
  );
}
