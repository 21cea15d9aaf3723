import { useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { useLive, useNow } from '../../hooks.js';
import { type MessageKey, useI18n } from '../../i18n.js';
import type { AlertView, KioskView } from '../../live/live-store.js';
import { byUrgency } from './urgency.js';
import { alertCodesOf, alertTitleOf } from '../../fault-names.js';

type Action = 'ack' | 'assign' | 'comment' | 'resolve';

interface Delivery {
  channel: string;
  kind: string;
  step: number | null;
  state: string;
  queuedAt: string;
  deliveredAt: string | null;
  lastError: string | null;
}

/** Which channels an alert reached, and when: read when the list is opened (or the alert is linked to). */
function AlertDeliveries({ alertId, isOpen }: { alertId: string; isOpen: boolean }) {
  const { lang, t } = useI18n();
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  async function load() {
    try {
      setDeliveries((await api.get<{ notifications: Delivery[] }>(`/alerts/${encodeURIComponent(alertId)}`)).notifications);
    } catch (e) {
      setError(e as ApiError);
    }
  }
  useEffect(() => {
    if (isOpen) void load();
  }, [isOpen]);
  return (
    <details open={isOpen} onToggle={(e) => (e.currentTarget.open ? void load() : undefined)} data-deliveries>
      <summary>{t('alertNotifications')}</summary>
      <ErrorMessage error={error} />
      {deliveries && deliveries.length === 0 ? <p class="muted">{t('noDeliveries')}</p> : null}
      <ul class="plain-list">
        {(deliveries ?? []).map((d) => (
          <li key={`${d.channel}-${d.kind}-${d.step ?? ''}-${d.queuedAt}`} data-channel={d.channel} data-state={d.state}>
            {d.channel} · {d.kind}
            {d.step !== null ? ` ${d.step}` : ''} · {t(`delivery_${d.state}` as MessageKey)} ·{' '}
            {formatDateTime(lang, d.deliveredAt ?? d.queuedAt)}
            {d.lastError ? ` · ${d.lastError}` : ''}
          </li>
        ))}
      </ul>
    </details>
  );
}

function AlertCard({
  alert,
  kiosk,
  canAct,
  nowMs,
  isFocused,
}: {
  alert: AlertView;
  kiosk: KioskView | undefined;
  canAct: boolean;
  nowMs: number;
  /** Opened from a link to this alert (a notification's): shown with its deliveries, scrolled to. */
  isFocused: boolean;
}) {
  const { lang, t } = useI18n();
  const [note, setNote] = useState('');
  const [assignee, setAssignee] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [isBusy, setBusy] = useState(false);
  // Acknowledging removes the button that had the focus: it moves on to Resolve instead of
  // falling back to the top of the page (WCAG 2.4.3 Focus Order).
  const [isFocusPending, setFocusPending] = useState(false);
  const resolveButton = useRef<HTMLButtonElement>(null);
  const headId = useId();
  const card = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (isFocused) card.current?.scrollIntoView({ block: 'center' });
  }, [isFocused]);
  useEffect(() => {
    if (!isFocusPending || alert.state === 'open' || isBusy) return;
    setFocusPending(false);
    resolveButton.current?.focus();
  }, [isFocusPending, alert.state, isBusy]);
  const leftMs = Date.parse(alert.response.deadline) - nowMs;
  const noteOrNothing = note.trim() === '' ? {} : { note: note.trim() };

  async function act(action: Action) {
    const bodies: Record<Action, unknown> = {
      ack: noteOrNothing,
      assign: { assignee: assignee.trim(), ...noteOrNothing },
      comment: { text: note.trim() },
      resolve: noteOrNothing,
    };
    setBusy(true);
    setError(null);
    try {
      await api.post(`/alerts/${encodeURIComponent(alert.id)}/${action}`, bodies[action]);
      setNote('');
      if (action === 'ack') setFocusPending(true);
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  }

  const name = kiosk ? (lang === 'zh' ? kiosk.name : (kiosk.nameEn ?? kiosk.name)) : '';
  return (
    <li
      ref={card}
      class={`alert-card severity-${alert.severity}`}
      data-alert={alert.id}
      data-kiosk={alert.kioskId}
      data-state={alert.state}
    >
      {/* The action buttons are described by this line: several cards each have an "Acknowledge". */}
      <div class="alert-head" id={headId}>
        <span class={`severity severity-${alert.severity}`}>{t(`severity_${alert.severity}`)}</span>
        <a href={`#/kiosk/${encodeURIComponent(alert.kioskId)}`}>
          {alert.kioskId} {name}
        </a>
        <span class="alert-title">
          {alertTitleOf(lang, alert)} <code class="muted">{alertCodesOf(alert)}</code>
        </span>
        <span class="alert-state" data-alert-state={alert.state}>
          {t(`alertState_${alert.state}`)}
        </span>
      </div>
      <div class="alert-meta">
        <span>
          {t('opened')}: {formatDateTime(lang, alert.openedAt)}
        </span>
        <span class={leftMs < 0 ? 'late' : leftMs < 4 * 3_600_000 ? 'soon' : ''} data-time-left-ms={leftMs}>
          {t('timeLeft')}: {leftMs >= 0 ? formatDuration(leftMs, lang) : t('pastPromise', { t: formatDuration(leftMs, lang) })}
        </span>
        {alert.acknowledged ? (
          <span>
            {t('alertState_acknowledged')}: {alert.acknowledged.by}
          </span>
        ) : null}
        {alert.assignee ? (
          <span>
            {t('assignee')}: {alert.assignee.name}
          </span>
        ) : null}
      </div>
      {alert.history.length > 0 ? (
        <details>
          <summary>{t('history')}</summary>
          <ul class="plain-list">
            {alert.history.map((h) => (
              <li key={`${h.at}-${h.action}`}>
                {formatDateTime(lang, h.at)} · {t(`alertAction_${h.action}`)}
                {h.by ? <span translate={false}> · {h.by}</span> : null}
                {/* Only a comment's text is the person's own words; the rest the action says. */}
                {h.action === 'commented' ? <span translate={false}> · {h.detail}</span> : null}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      <AlertDeliveries alertId={alert.id} isOpen={isFocused} />
      {canAct ? (
        <form class="alert-actions" onSubmit={(e) => e.preventDefault()}>
          <label>
            {t('note')}
            <input name="note" value={note} maxLength={1000} onInput={(e) => setNote(e.currentTarget.value)} />
          </label>
          {alert.state === 'open' ? (
            <button type="button" data-action="ack" aria-describedby={headId} disabled={isBusy} onClick={() => void act('ack')}>
              {t('acknowledge')}
            </button>
          ) : null}
          <button
            type="button"
            data-action="comment"
            aria-describedby={headId}
            disabled={isBusy || note.trim() === ''}
            onClick={() => void act('comment')}
          >
            {t('comment')}
          </button>
          <button
            ref={resolveButton}
            type="button"
            data-action="resolve"
            aria-describedby={headId}
            disabled={isBusy}
            onClick={() => void act('resolve')}
          >
            {t('resolve')}
          </button>
          <label>
            {t('assignee')}
            <input name="assignee" value={assignee} maxLength={64} onInput={(e) => setAssignee(e.currentTarget.value)} />
          </label>
          <button
            type="button"
            data-action="assign"
            aria-describedby={headId}
            disabled={isBusy || assignee.trim() === ''}
            onClick={() => void act('assign')}
          >
            {t('assign')}
          </button>
          <ErrorMessage error={error} />
        </form>
      ) : null}
    </li>
  );
}

/** Open and acknowledged alerts for the crews, most urgent first, with time left on the promise. */
export function AlertsPage({ canAct, focusId }: { canAct: boolean; focusId: string | null }) {
  const { t } = useI18n();
  const alerts = useLive((s) => s.alerts);
  const kiosks = useLive((s) => s.kiosks);
  const nowMs = useNow(15_000);
  const sorted = useMemo(() => [...alerts.values()].sort(byUrgency), [alerts]);
  return (
    <section class="panel" aria-labelledby="alerts-title">
      <h1 id="alerts-title">
        {t('alertsTitle')} <span class="muted">({sorted.length})</span>
      </h1>
      {sorted.length === 0 ? <p class="muted">{t('noAlerts')}</p> : null}
      <ul class="alert-list" id="alerts">
        {sorted.map((a) => (
          <AlertCard
            key={a.id}
            alert={a}
            kiosk={kiosks.get(a.kioskId)}
            canAct={canAct}
            nowMs={nowMs}
            isFocused={a.id === focusId}
          />
        ))}
      </ul>
    </section>
  );
}
