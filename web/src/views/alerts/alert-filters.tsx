import { useMemo, useState } from 'preact/hooks';
import { useI18n } from '../../i18n.js';
import type { AlertView, KioskView } from '../../live/live-store.js';

const SEVERITIES = ['critical', 'major', 'minor'] as const;
/** A crew works one district: the choice is kept on the device, as the language is. */
const DISTRICT_KEY = 'kiosk-fleet.district';

export interface AlertFilter {
  isMineOnly: boolean;
  /** The registry's district name ('' for all). */
  district: string;
  severity: '' | (typeof SEVERITIES)[number];
}

export function useAlertFilter(): [AlertFilter, (next: AlertFilter) => void] {
  const [filter, setFilter] = useState<AlertFilter>(() => ({
    isMineOnly: false,
    district: localStorage.getItem(DISTRICT_KEY) ?? '',
    severity: '',
  }));
  const change = (next: AlertFilter) => {
    if (next.district === '') localStorage.removeItem(DISTRICT_KEY);
    else localStorage.setItem(DISTRICT_KEY, next.district);
    setFilter(next);
  };
  return [filter, change];
}

/** Assigned to me: by user name (the picker's value) or by display name (older assignments). */
export function matchesFilter(
  alert: AlertView,
  kiosk: KioskView | undefined,
  filter: AlertFilter,
  me: { username: string; displayName: string },
): boolean {
  if (filter.isMineOnly && alert.assignee?.name !== me.username && alert.assignee?.name !== me.displayName) return false;
  if (filter.district !== '' && kiosk?.district !== filter.district) return false;
  return filter.severity === '' || alert.severity === filter.severity;
}

export function AlertFilters({
  filter,
  onChange,
  kiosks,
}: {
  filter: AlertFilter;
  onChange: (next: AlertFilter) => void;
  kiosks: ReadonlyMap<string, KioskView>;
}) {
  const { lang, t } = useI18n();
  const districts = useMemo(() => {
    const names = new Map<string, string>();
    for (const k of kiosks.values())
      if (k.district !== null) names.set(k.district, lang === 'zh' ? k.district : (k.districtEn ?? k.district));
    return [...names].sort((a, b) => a[1].localeCompare(b[1], lang === 'zh' ? 'zh-CN' : 'en'));
  }, [kiosks, lang]);
  return (
    <form class="alert-filters" onSubmit={(e) => e.preventDefault()} data-filters>
      <label class="checkbox">
        <input
          type="checkbox"
          name="mine"
          checked={filter.isMineOnly}
          onChange={(e) => onChange({ ...filter, isMineOnly: e.currentTarget.checked })}
        />
        {t('assignedToMe')}
      </label>
      <label>
        {t('myDistrict')}
        <select
          name="district"
          value={filter.district}
          onChange={(e) => onChange({ ...filter, district: e.currentTarget.value })}
        >
          <option value="">{t('allDistricts')}</option>
          {districts.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('severity')}
        <select
          name="severity"
          value={filter.severity}
          onChange={(e) => onChange({ ...filter, severity: e.currentTarget.value as AlertFilter['severity'] })}
        >
          <option value="">{t('allSeverities')}</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {t(`severity_${s}`)}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}
