import { useI18n } from '../i18n.js';

const MONTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] as const;

/**
 * A month (YYYY-MM) chosen with a year select and a month select. Chromium draws
 * `<input type="month">` in the browser's language whatever the page's, so a 中文 page showed
 * "November 2026"; these option texts come from the page's messages (1月…12月 / Jan…Dec).
 * The hidden input keeps the form's field `name` with the same YYYY-MM value as before.
 */
export function MonthPicker(props: {
  name: string;
  label: string;
  value: string;
  /** The years offered, oldest first; the value's own year is always among them. */
  years: readonly number[];
  onChange: (value: string) => void;
}) {
  const { t } = useI18n();
  const [year = '', month = '01'] = props.value.split('-');
  const years = [...new Set([...props.years, Number(year)])].filter((y) => y > 0).sort((a, b) => a - b);
  const pick = (y: string, m: string) => props.onChange(`${y}-${m}`);
  return (
    <fieldset class="month-picker" data-month-picker={props.name}>
      <legend>{props.label}</legend>
      <select
        name={`${props.name}-year`}
        aria-label={t('pickerYear', { label: props.label })}
        value={year}
        onChange={(e) => pick(e.currentTarget.value, month)}
      >
        {years.map((y) => (
          <option key={y} value={String(y)}>
            {y}
          </option>
        ))}
      </select>
      <select
        name={`${props.name}-month`}
        aria-label={t('pickerMonth', { label: props.label })}
        value={month}
        onChange={(e) => pick(year, e.currentTarget.value)}
      >
        {MONTHS.map((m) => (
          <option key={m} value={String(m).padStart(2, '0')}>
            {t(`monthShort_${m}`)}
          </option>
        ))}
      </select>
      <input type="hidden" name={props.name} value={props.value} />
    </fieldset>
  );
}
