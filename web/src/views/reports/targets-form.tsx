import { useState } from 'preact/hooks';
import type { IndicatorTargets } from '../../../../collector/domain/indicators.js';
import { api, ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { type MessageKey, useI18n } from '../../i18n.js';

export interface TargetsAnswer {
  targets: IndicatorTargets;
  reference: IndicatorTargets;
  isReference: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
}

type Field = { key: keyof IndicatorTargets; label: MessageKey; isShare: boolean };
const FIELDS: readonly Field[] = [
  { key: 'machinesOperated', label: 'targetMachines', isShare: false },
  { key: 'circulationPerYear', label: 'targetCirculation', isShare: false },
  { key: 'weeklyInspectionRatio', label: 'targetWeeklyInspection', isShare: true },
  { key: 'availabilityRatio', label: 'targetAvailability', isShare: true },
  { key: 'faultsRestoredWithin24hRatio', label: 'targetFaultsRestored', isShare: true },
  { key: 'reservationsDeliveredWithin72hRatio', label: 'targetReservations', isShare: true },
];

/** Shares are typed as percentages (95), stored as 0–1 (0.95); rounding keeps 95 from reading 95.00000001. */
const shown = (field: Field, value: number) => String(field.isShare ? Math.round(value * 10_000) / 100 : value);
const stored = (field: Field, text: string) => (field.isShare ? Math.round(Number(text) * 100) / 10_000 : Number(text));

/** The library's own targets, edited in place; the reference network's are shown beside each. */
export function TargetsForm({
  current,
  onSaved,
  onCancel,
}: {
  current: TargetsAnswer;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [values, setValues] = useState(() => Object.fromEntries(FIELDS.map((f) => [f.key, shown(f, current.targets[f.key])])));
  const [error, setError] = useState<ApiError | null>(null);
  const [isSaving, setSaving] = useState(false);
  const save = async (targets: IndicatorTargets) => {
    setSaving(true);
    try {
      await api.patch('/reports/targets', targets);
      onSaved();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'ERROR', String(e)));
    } finally {
      setSaving(false);
    }
  };
  return (
    <form
      class="targets-form"
      aria-labelledby="targets-form-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save(Object.fromEntries(FIELDS.map((f) => [f.key, stored(f, values[f.key] ?? '')])) as unknown as IndicatorTargets);
      }}
    >
      <h3 id="targets-form-title">{t('editTargets')}</h3>
      <p class="muted">{t('targetsHint')}</p>
      {FIELDS.map((f) => (
        <label key={f.key}>
          {t(f.label)}
          {f.isShare ? ' (%)' : ''}
          <input
            type="number"
            name={f.key}
            required
            min={0}
            max={f.isShare ? 100 : undefined}
            step={f.isShare ? 0.1 : 1}
            value={values[f.key]}
            onInput={(e) => setValues({ ...values, [f.key]: e.currentTarget.value })}
          />
          <span class="muted">
            {t('referenceTarget', { value: shown(f, current.reference[f.key]) + (f.isShare ? ' %' : '') })}
          </span>
        </label>
      ))}
      <ErrorMessage error={error} />
      <div class="form-actions">
        <button type="submit" disabled={isSaving} data-action="save-targets">
          {t('save')}
        </button>
        <button type="button" disabled={isSaving} data-action="reference-targets" onClick={() => void save(current.reference)}>
          {t('useReferenceTargets')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
