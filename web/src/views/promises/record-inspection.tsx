import { useState } from 'preact/hooks';
import { api, type ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { fleetInstantOf, getFleetTimeZone } from '../../format.js';
import { type MessageKey, useI18n } from '../../i18n.js';

const RESULTS = ['pass', 'issues_found', 'fail'] as const;
/** What a crew member checks on site (the API's checklist items, collector/domain/inspections.ts). */
const CHECKLIST_ITEMS = ['rfid_reader', 'card_reader', 'printer', 'door', 'screen', 'bins', 'cleanliness'] as const;
const CHECKS = ['not_checked', 'ok', 'issue'] as const;
type ChecklistItem = (typeof CHECKLIST_ITEMS)[number];
type Check = (typeof CHECKS)[number];

const emptyChecklist = (): Record<ChecklistItem, Check> =>
  Object.fromEntries(CHECKLIST_ITEMS.map((item) => [item, 'not_checked'])) as Record<ChecklistItem, Check>;

/** Now as a `datetime-local` value in the fleet's zone: the latest time an inspection can be dated. */
function fleetWallNow(): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: getFleetTimeZone(),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  })
    .format(new Date())
    .replace(' ', 'T');
}

/**
 * The crew records an inspection: the machine, the result, the checklist, and when it was done
 * (empty: now; an inspection written up back at the depot is dated when it happened).
 */
export function RecordInspection({
  kioskIds,
  inspector,
  onRecorded,
}: {
  kioskIds: string[];
  inspector: string;
  onRecorded: () => void;
}) {
  const { t } = useI18n();
  const [kioskId, setKioskId] = useState('');
  const [result, setResult] = useState<(typeof RESULTS)[number]>('pass');
  const [notes, setNotes] = useState('');
  const [inspectedAt, setInspectedAt] = useState('');
  const [checklist, setChecklist] = useState(emptyChecklist);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState('');
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    setNotice('');
    try {
      await api.post('/inspections', {
        kioskId,
        inspector,
        result,
        checklist,
        ...(notes.trim() ? { notes: notes.trim() } : {}),
        ...(inspectedAt ? { inspectedAt: fleetInstantOf(inspectedAt) } : {}),
      });
      setNotice(t('inspectionRecorded', { kiosk: kioskId }));
      setKioskId('');
      setResult('pass');
      setNotes('');
      setInspectedAt('');
      setChecklist(emptyChecklist());
      onRecorded();
    } catch (err) {
      setError(err as ApiError);
    }
  }
  return (
    <form class="report-form" onSubmit={(e) => void submit(e)} aria-labelledby="record-title">
      <h2 id="record-title" class="visually-hidden">
        {t('recordInspection')}
      </h2>
      <label>
        {t('scope_kiosk')}
        <select name="kioskId" required value={kioskId} onChange={(e) => setKioskId(e.currentTarget.value)}>
          <option value="" />
          {kioskIds.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('result')}
        <select name="result" value={result} onChange={(e) => setResult(e.currentTarget.value as (typeof RESULTS)[number])}>
          {RESULTS.map((r) => (
            <option key={r} value={r}>
              {t(`result_${r}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('inspectedAt')}
        <input
          type="datetime-local"
          name="inspectedAt"
          value={inspectedAt}
          max={fleetWallNow()}
          onInput={(e) => setInspectedAt(e.currentTarget.value)}
        />
      </label>
      <fieldset class="checklist">
        <legend>{t('checklist')}</legend>
        {CHECKLIST_ITEMS.map((item) => (
          <label key={item}>
            {t(`checklist_${item}` as MessageKey)}
            <select
              name={`checklist-${item}`}
              data-checklist={item}
              value={checklist[item]}
              onChange={(e) => setChecklist({ ...checklist, [item]: e.currentTarget.value as Check })}
            >
              {CHECKS.map((check) => (
                <option key={check} value={check}>
                  {t(`check_${check}`)}
                </option>
              ))}
            </select>
          </label>
        ))}
      </fieldset>
      <label>
        {t('note')}
        <input name="notes" maxLength={1000} value={notes} onInput={(e) => setNotes(e.currentTarget.value)} />
      </label>
      <button type="submit" data-action="record-inspection">
        {t('recordInspection')}
      </button>
      <p class="notice" role="status" data-notice>
        {notice}
      </p>
      <ErrorMessage error={error} />
    </form>
  );
}
