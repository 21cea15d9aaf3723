import { useEffect, useState } from 'preact/hooks';
import { fetchFleetInfo } from '../fleet-info.js';
import { formatDateTime } from '../format.js';
import { useI18n } from '../i18n.js';

/** While the simulation replays, its clock moves hours per second: asked again this often. */
const POLL_MS = 3_000;

/**
 * "Replaying: simulated time …" while the simulated fleet catches up with now, so figures that
 * still move by the second (and alerts of days ago) are read for what they are. Gone once the
 * simulation runs in real time; never shown without a simulation.
 */
export function ReplayBanner() {
  const { lang, t } = useI18n();
  const [simulatedNow, setSimulatedNow] = useState<string | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let isCurrent = true;
    const check = () =>
      fetchFleetInfo().then(
        (info) => {
          if (!isCurrent) return;
          setSimulatedNow(info.simulation?.simulatedNow ?? null);
          if (info.simulation) timer = setTimeout(check, POLL_MS);
        },
        () => {}, // the pages show the server's errors; the banner only stops asking
      );
    void check();
    return () => {
      isCurrent = false;
      clearTimeout(timer);
    };
  }, []);
  if (simulatedNow === null) return null;
  return (
    <p class="replay-banner" role="status">
      {t('replaying', { time: formatDateTime(lang, simulatedNow) })}
    </p>
  );
}
