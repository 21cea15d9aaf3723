import { useMemo } from 'preact/hooks';
import { api, query } from '../../api.js';
import { useLive, useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import type { AlertView, KioskView } from '../../live/live-store.js';

/** Enough resolved alerts to cover every pause a shift deals with; the newest come first. */
const RESOLVED_LOOKBACK = 200;

/**
 * Paused machines whose faults have all cleared since they were paused: an operator paused them
 * because of the fault, and must now be reminded to resume them (a pause outlives its fault).
 * A pause with no fault during it (road works) is not one of them.
 */
export function usePausedAndCleared(kiosks: readonly KioskView[]): KioskView[] {
  const paused = useMemo(() => kiosks.filter((k) => k.serviceState === 'paused' && k.openFaults.length === 0), [kiosks]);
  // Loaded again whenever the set of paused, fault-free machines or the open alerts change: the
  // machine's clearing and its alert's resolution arrive as two pushes, in either order.
  const openAlerts = useLive((s) => s.alerts.size);
  const pausedKey = paused.map((k) => `${k.id}@${k.serviceStateSince}`).join(',');
  const key = pausedKey === '' ? '' : `${pausedKey}|${openAlerts}`;
  const resolved = useLoad(
    () =>
      key === ''
        ? Promise.resolve({ alerts: [] as AlertView[] })
        : api.get<{ alerts: AlertView[] }>(`/alerts?${query({ state: 'resolved', limit: RESOLVED_LOOKBACK })}`),
    [key],
  );
  return useMemo(() => {
    const alerts = resolved.data?.alerts ?? [];
    return paused.filter((k) =>
      alerts.some(
        (a) =>
          a.kioskId === k.id &&
          a.component !== 'connection' &&
          a.resolved !== null &&
          Date.parse(a.resolved.at) >= Date.parse(k.serviceStateSince ?? ''),
      ),
    );
  }, [paused, resolved.data]);
}

/** On the overview: the paused machines to resume, each a link to its page (where Resume is). */
export function ResumeReminders() {
  const { t } = useI18n();
  const kioskMap = useLive((s) => s.kiosks);
  const kiosks = useMemo(() => [...kioskMap.values()], [kioskMap]);
  const due = usePausedAndCleared(kiosks);
  if (due.length === 0) return null;
  return (
    <section class="reminder" data-reminder="resume" aria-label={t('resumeReminders')}>
      <p>{t('resumeReminders')}</p>
      <ul class="chip-list">
        {due.map((k) => (
          <li key={k.id} class="chip">
            <a href={`#/kiosk/${encodeURIComponent(k.id)}`}>{k.id}</a>
          </li>
        ))}
      </ul>
    </section>
  );
}
