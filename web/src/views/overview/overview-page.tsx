import { useMemo, useState } from 'preact/hooks';
import { useLive } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { STATE_COLOURS, STATE_ORDER, type ServiceState } from '../../states.js';
import { FleetMap } from './fleet-map.js';
import { KioskTiles } from './kiosk-tiles.js';
import { KpiTiles } from './kpi-tiles.js';
import { ReaderAvailability } from './reader-availability.js';
import { ResumeReminders } from './resume-reminders.js';

/** Every machine at a glance: KPIs, counts by state (which also filter), the map and the tiles. */
export function OverviewPage() {
  const { lang, t } = useI18n();
  const kioskMap = useLive((s) => s.kiosks);
  const [filter, setFilter] = useState<ServiceState | null>(null);
  const [search, setSearch] = useState('');
  const kiosks = useMemo(() => [...kioskMap.values()], [kioskMap]);
  const counts = useMemo(() => {
    const byState = new Map<ServiceState, number>();
    for (const k of kiosks) byState.set(k.serviceState, (byState.get(k.serviceState) ?? 0) + 1);
    return byState;
  }, [kiosks]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return kiosks.filter(
      (k) =>
        (filter === null || k.serviceState === filter) &&
        (needle === '' || [k.id, k.name, k.nameEn ?? '', k.district ?? ''].some((s) => s.toLowerCase().includes(needle))),
    );
  }, [kiosks, filter, search]);

  return (
    <div class="overview">
      <h1 class="visually-hidden">{t('navOverview')}</h1>
      <KpiTiles />
      <ResumeReminders />
      <ReaderAvailability />
      <section class="counts" aria-label={t('machines')}>
        <button type="button" class="count" aria-pressed={filter === null} onClick={() => setFilter(null)} data-count="all">
          <span class="count-value" id="count-all">
            {kiosks.length}
          </span>
          <span>{t('machines')}</span>
        </button>
        {STATE_ORDER.filter((s) => counts.has(s)).map((state) => (
          <button
            type="button"
            key={state}
            class="count"
            aria-pressed={filter === state}
            data-count={state}
            onClick={() => setFilter(filter === state ? null : state)}
            style={{ borderLeftColor: STATE_COLOURS[state].background }}
          >
            <span class="count-value">{counts.get(state)}</span>
            <span>{t(`state_${state}`)}</span>
          </button>
        ))}
      </section>
      <div class="overview-body">
        <section class="panel" aria-labelledby="map-title">
          <h2 id="map-title">{t('map')}</h2>
          {/* The map shows what the filters show: the tiles and the map never disagree. */}
          <FleetMap kiosks={shown} lang={lang} />
        </section>
        <section class="panel" aria-labelledby="tiles-title">
          <div class="panel-head">
            <h2 id="tiles-title">
              {t('tiles')} <span class="muted">({shown.length})</span>
            </h2>
            <label class="search">
              <span class="visually-hidden">{t('search')}</span>
              <input type="search" placeholder={t('search')} value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
            </label>
          </div>
          <KioskTiles kiosks={shown} lang={lang} />
        </section>
      </div>
    </div>
  );
}
