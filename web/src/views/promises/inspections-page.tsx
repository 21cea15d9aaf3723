import { api } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime, formatPercent } from '../../format.js';
import { useLive, useLoad } from '../../hooks.js';
import { type MessageKey, useI18n } from '../../i18n.js';
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
            {t('week')} {r.week} ({formatDateTime(lang, r.startsAt)} – {formatDateTime(lang, r.endsAt)}) · {t('compliance')}{' '}
            <strong>{formatPercent(lang, r.complianceRatio)}</strong>
          </p>
          {recorder ? (
            <RecordInspection kioskIds={[...r.overdue, ...r.due]} inspector={recorder} onRecorded={report.reload} />
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
                            `${formatDateTime(lang, i.inspectedAt)} ${i.inspector} (${t(`result_${i.result}` as MessageKey)})`,
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
