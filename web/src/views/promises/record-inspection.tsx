import { useState } from 'preact/hooks';
import { api, type ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { useI18n } from '../../i18n.js';

const RESULTS = ['pass', 'issues_found', 'fail'] as const;

/** The crew records an inspection done on a machine still due (or overdue) this week. */
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
  const [error, setError] = useState<ApiError | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api.post('/inspections', { kioskId, inspector, result, ...(notes.trim() ? { notes: notes.trim() } : {}) });
      setKioskId('');
      setNotes('');
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
        {t('note')}
        <input name="notes" maxLength={1000} value={notes} onInput={(e) => setNotes(e.currentTarget.value)} />
      </label>
      <button type="submit" data-action="record-inspection">
        {t('recordInspection')}
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}
