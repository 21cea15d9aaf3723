import { useMemo } from 'preact/hooks';
import { fleetMonthOf, formatDateTime, formatNumber } from '../../format.js';
import { useLive } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { stateWithReason } from '../../fault-words.js';
import { STATE_COLOURS } from '../../states.js';
import { usePausedAndCleared } from '../overview/resume-reminders.js';
import { CommandPanel } from './command-panel.js';
import { OpenProblems } from './open-problems.js';
import { CirculationPanel, TelemetryCharts } from './machine-charts.js';
import { FaultsPanel, InspectionsPanel, StateTimeline, UptimePanel } from './machine-panels.js';
import { UsualActivity } from './usual-activity.js';

/** One machine: facts, state timeline, uptime, circulation, health readings, faults, inspections, commands. */
export function MachinePage({ kioskId, canCommand }: { kioskId: string; canCommand: boolean }) {
  const { lang, t } = useI18n();
  const kiosk = useLive((s) => s.kiosks.get(kioskId));
  const alerts = useLive((s) => s.alerts);
  const openAlerts = useMemo(() => [...alerts.values()].filter((a) => a.kioskId === kioskId), [alerts, kioskId]);
  const onlyThis = useMemo(() => (kiosk ? [kiosk] : []), [kiosk]);
  const isResumeDue = usePausedAndCleared(onlyThis).length > 0;
  if (!kiosk) return <p class="muted">{t('notFound')}</p>;
  const colours = STATE_COLOURS[kiosk.serviceState];
  // Panels that read history load again when the machine's state or telemetry moves.
  const stateKey = `${kiosk.serviceState}|${kiosk.serviceStateSince}`;
  const month = fleetMonthOf(Date.now());
  const facts: Array<[string, string]> = [
    [t('district'), (lang === 'zh' ? kiosk.district : (kiosk.districtEn ?? kiosk.district)) ?? '—'],
    [t('address'), kiosk.address ?? '—'],
    [t('model'), kiosk.model ?? '—'],
    [t('installed'), kiosk.installedOn ?? '—'],
    [t('lastSeen'), formatDateTime(lang, kiosk.lastSeen)],
    [t('firmware'), kiosk.firmware ?? '—'],
    [t('loansToday'), formatNumber(lang, kiosk.today?.loans ?? 0)],
    [t('returnsToday'), formatNumber(lang, kiosk.today?.returns ?? 0)],
  ];
  return (
    <article class="machine" data-kiosk={kiosk.id}>
      <a href="#/" class="back">
        ← {t('back')}
      </a>
      <header class="machine-head">
        <h1>
          {kiosk.id} · {lang === 'zh' ? kiosk.name : (kiosk.nameEn ?? kiosk.name)}
        </h1>
        <span class="badge" data-state={kiosk.serviceState} style={{ background: colours.background, color: colours.text }}>
          {stateWithReason(lang, kiosk)}
        </span>
        {kiosk.serviceStateSince ? (
          <span class="muted">
            {t('since')} {formatDateTime(lang, kiosk.serviceStateSince)}
          </span>
        ) : null}
      </header>
      {isResumeDue ? (
        <p class="reminder" data-reminder="resume" role="status">
          {t('resumeReminder', { kiosk: kiosk.id })}
        </p>
      ) : null}
      {/* What is wrong comes first: on a phone the crew reads it before scrolling past the facts. */}
      <OpenProblems kiosk={kiosk} alerts={openAlerts} />
      <dl class="facts">
        {facts.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <div class="detail-grid">
        <section class="panel" data-section="uptime">
          <h2>{t('uptime')}</h2>
          <UptimePanel kioskId={kiosk.id} month={month} refreshKey={stateKey} />
          <h3>{t('timeline')}</h3>
          <StateTimeline kioskId={kiosk.id} refreshKey={stateKey} />
        </section>
        <section class="panel">
          <h2>{t('commands')}</h2>
          <CommandPanel kioskId={kiosk.id} canCommand={canCommand} serviceState={kiosk.serviceState} />
        </section>
        <section class="panel wide">
          <h2>{t('telemetry')}</h2>
          <TelemetryCharts kioskId={kiosk.id} refreshKey={kiosk.telemetry?.ts} />
        </section>
        <section class="panel">
          <h2>{t('usualTitle')}</h2>
          <UsualActivity kioskId={kiosk.id} refreshKey={(kiosk.today?.loans ?? 0) + (kiosk.today?.returns ?? 0)} />
        </section>
        <section class="panel">
          <h2>{t('circulation')}</h2>
          <CirculationPanel kioskId={kiosk.id} />
        </section>
        <section class="panel">
          <h2>{t('faults')}</h2>
          <FaultsPanel kioskId={kiosk.id} refreshKey={openAlerts.length} />
          <h2>{t('inspections')}</h2>
          <InspectionsPanel kioskId={kiosk.id} />
        </section>
      </div>
    </article>
  );
}
