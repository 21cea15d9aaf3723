import { useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { useLive, useLoad, useNow } from '../../hooks.js';
import { type MessageKey, useI18n } from '../../i18n.js';
import type { AlertView, KioskView } from '../../live/live-store.js';
import { AlertFilters, matchesFilter, useAlertFilter } from './alert-filters.js';
import { alertWords, stillReported } from './alert-words.js';
import { RecentlyResolved } from './recently-resolved.js';
import { keepPlaces } from './stable-order.js';
import { byUrgency } from './urgency.js';

/** The question's safe answer takes the focus when it appears, so a keyboard user lands on it. */
const focusOnMount = (button: HTMLButtonElement | null) => button?.focus();

/** A crew member the alert can be assigned to (GET /assignees). */
export interface Assignable {
  username: string;
  displayName: string;
}

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
  people,
}: {
  alert: AlertView;
  kiosk: KioskView | undefined;
  canAct: boolean;
  nowMs: number;
  people: Assignable[];
  /** Opened from a link to this alert (a notification's): shown with its deliveries, scrolled to. */
  isFocused: boolean;
}) {
  const { lang, t } = useI18n();
  const [note, setNote] = useState('');
  const [assignee, setAssignee] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [isBusy, setBusy] = useState(false);
  const [isConfirmingResolve, setConfirmingResolve] = useState(false);
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

  const stillReports = stillReported(lang, alert);
  async function act(action: Action) {
    // The machine still reports the fault: resolving by hand is allowed (the crew may know better)
    // but asked first, since the alert would otherwise hide a machine still down.
    if (action === 'resolve' && stillReports.length > 0 && !isConfirmingResolve) {
      setConfirmingResolve(true);
      return;
    }
    setConfirmingResolve(false);
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
      if (action === 'assign') setAssignee('');
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
        <span class="alert-title">{alertWords(lang, alert)}</span>
        {alert.problems.some((p) => p.kind === 'fault') ? (
          <span class="muted alert-codes">{[...new Set(alert.problems.map((p) => p.code))].join(', ')}</span>
        ) : null}
        <span class="alert-state" data-alert-state={alert.state}>
          {t(`alertState_${alert.state}`)}
        </span>
      </div>
      <div class="alert-meta">
        <span>
          {t('opened')}: {formatDateTime(lang, alert.openedAt)}
        </span>
        <span class={leftMs < 0 ? 'late' : leftMs < 4 * 3_600_000 ? 'soon' : ''} data-time-left-ms={leftMs}>
          {t('timeLeft')}: {leftMs >= 0 ? formatDuration(leftMs) : t('pastPromise', { t: formatDuration(leftMs) })}
        </span>
        {alert.acknowledged ? (
          <span>
            {t('alertState_acknowledged')}: {alert.acknowledged.by}
          </span>
        ) : null}
        {alert.assignee ? (
          <span>
            {t('assignee')}: {people.find((p) => p.username === alert.assignee!.name)?.displayName ?? alert.assignee.name}
          </span>
        ) : null}
      </div>
      {alert.history.length > 0 ? (
        <details>
          <summary>{t('history')}</summary>
          <ul class="plain-list">
            {alert.history.map((h) => (
              <li key={`${h.at}-${h.action}`}>
                {formatDateTime(lang, h.at)} · {h.action} · {h.by}
                {h.detail ? ` · ${h.detail}` : ''}
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
          {isConfirmingResolve ? (
            <div class="confirm" data-confirm="resolve" role="alertdialog" aria-labelledby={`${headId}-still`}>
              <p id={`${headId}-still`}>{t('stillReported', { kiosk: alert.kioskId, faults: stillReports.join(', ') })}</p>
              <div class="button-row">
                <button
                  type="button"
                  class="danger"
                  data-action="resolve-anyway"
                  disabled={isBusy}
                  onClick={() => void act('resolve')}
                >
                  {t('resolveAnyway')}
                </button>
                <button type="button" data-action="cancel" ref={focusOnMount} onClick={() => setConfirmingResolve(false)}>
                  {t('cancel')}
                </button>
              </div>
            </div>
          ) : null}
          <label>
            {t('assignee')}
            {/* Picked from the crew's accounts: a typed name matched nobody's "assigned to me". */}
            <select name="assignee" value={assignee} onChange={(e) => setAssignee(e.currentTarget.value)}>
              <option value="" />
              {people.map((p) => (
                <option key={p.username} value={p.username}>
                  {p.displayName}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            data-action="assign"
            aria-describedby={headId}
            disabled={isBusy || assignee === ''}
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

/**
 * Open and acknowledged alerts for the crews, most urgent first, with time left on the promise;
 * filters for one's own alerts, district and severity; the recently resolved ones below.
 */
export function AlertsPage({
  canAct,
  focusId,
  me,
}: {
  canAct: boolean;
  focusId: string | null;
  me: { username: string; displayName: string };
}) {
  const { t } = useI18n();
  const alerts = useLive((s) => s.alerts);
  const kiosks = useLive((s) => s.kiosks);
  const nowMs = useNow(15_000);
  const [filter, setFilter] = useAlertFilter();
  const people = useLoad(
    () => (canAct ? api.get<{ people: Assignable[] }>('/assignees') : Promise.resolve({ people: [] })),
    [canAct],
  );
  // Urgency places an alert when it first shows; after that it keeps its place (see keepPlaces).
  const shownOrder = useRef<string[]>([]);
  const ordered = useMemo(() => {
    const sortedIds = [...alerts.values()].sort(byUrgency).map((a) => a.id);
    shownOrder.current = keepPlaces(shownOrder.current, sortedIds);
    return shownOrder.current.map((id) => alerts.get(id)!);
  }, [alerts]);
  // The resolved list loads again when an alert opens or leaves, not on every escalation push.
  const openIds = useMemo(() => [...alerts.keys()].join(','), [alerts]);
  const shown = ordered.filter((a) => matchesFilter(a, kiosks.get(a.kioskId), filter, me));
  return (
    <>
      <section class="panel" aria-labelledby="alerts-title">
        <h1 id="alerts-title">
          {t('alertsTitle')} <span class="muted">({shown.length})</span>
        </h1>
        <AlertFilters filter={filter} onChange={setFilter} kiosks={kiosks} />
        {shown.length === 0 ? <p class="muted">{t('noAlerts')}</p> : null}
        <ul class="alert-list" id="alerts">
          {shown.map((a) => (
            <AlertCard
              key={a.id}
              alert={a}
              kiosk={kiosks.get(a.kioskId)}
              canAct={canAct}
              nowMs={nowMs}
              isFocused={a.id === focusId}
              people={people.data?.people ?? []}
            />
          ))}
        </ul>
      </section>
      <RecentlyResolved refreshKey={openIds} />
    </>
  );
}
