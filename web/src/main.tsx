import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, onSessionLost } from './api.js';
import { AppHeader } from './components/app-header.js';
import { CriticalBanner } from './components/critical-banner.js';
import { LoginScreen, PasswordScreen } from './components/auth-screens.js';
import { ErrorMessage } from './components/error-message.js';
import { fetchFleetInfo } from './fleet-info.js';
import { setFleetTimeZone } from './format.js';
import { provideLiveStore, useLive, useRoute } from './hooks.js';
import { useI18n } from './i18n.js';
import { createLiveStore } from './live/live-store.js';
import { can, fetchSession, logOut, type Session } from './session.js';
import { AdminPage } from './views/admin/admin-page.js';
import { AlertsPage } from './views/alerts/alerts-page.js';
import { MachinePage } from './views/detail/machine-page.js';
import { NotificationsPage } from './views/notifications/notifications-page.js';
import { OverviewPage } from './views/overview/overview-page.js';
import { InspectionsPage } from './views/promises/inspections-page.js';
import { ReservationsPage } from './views/promises/reservations-page.js';
import { ReportsPage } from './views/reports/reports-page.js';
import './style.css';

/** A refused or ended live connection with a valid session is retried after this pause, never in a tight loop. */
const RECONNECT_DELAY_MS = 2_000;

const live = createLiveStore();
provideLiveStore(live);

type Phase =
  | { name: 'checking' }
  | { name: 'login' }
  | { name: 'password' }
  | { name: 'ready'; session: Session }
  | { name: 'failed'; error: ApiError };

/** What a role that may not see a page sees there; the server answers 403 to its calls as well. */
const forbidden = () => <ErrorMessage error={new ApiError(403, 'FORBIDDEN', 'forbidden')} />;

function Routes({ session }: { session: Session }) {
  const [page, id] = useRoute();
  switch (page) {
    case 'kiosk':
      return <MachinePage kioskId={id ?? ''} canCommand={can(session, 'commandMachines')} />;
    case 'alerts':
      return <AlertsPage canAct={can(session, 'handleAlerts')} focusId={id ?? null} me={session.user} />;
    case 'notifications':
      return <NotificationsPage canAct={can(session, 'handleNotifications')} />;
    case 'inspections':
      return <InspectionsPage recorder={can(session, 'recordInspections') ? session.user.displayName : null} />;
    case 'reservations':
      return <ReservationsPage canDeliver={can(session, 'deliverReservations')} />;
    case 'reports':
      return can(session, 'readReports') ? <ReportsPage /> : forbidden();
    case 'admin':
      return can(session, 'administer') ? <AdminPage /> : forbidden();
    default:
      return <OverviewPage />;
  }
}

/** The signed-in page: the live feed runs while it is shown. */
function Shell({ session, onLogout, onSessionLost }: { session: Session; onLogout: () => void; onSessionLost: () => void }) {
  const [route] = useRoute();
  const connection = useLive((s) => s.connection);
  const [isReady, setReady] = useState(false);
  useEffect(() => {
    fetchFleetInfo()
      .then((info) => setFleetTimeZone(info.timeZone))
      .catch(() => {}) // the default zone stays; the pages show their own errors
      .finally(() => setReady(true));
    live.connect();
    return () => live.disconnect();
  }, []);
  useEffect(() => {
    if (connection !== 'unauthenticated' && connection !== 'ended') return;
    // A retry still waiting when the page signs out must not connect a socket nobody watches.
    let retry: ReturnType<typeof setTimeout> | undefined;
    let isCurrent = true;
    const retryLater = () => {
      if (isCurrent) retry = setTimeout(live.connect, RECONNECT_DELAY_MS);
    };
    fetchSession().then(
      (current) => (current === null ? onSessionLost() : retryLater()),
      retryLater, // the server is unreachable for now
    );
    return () => {
      isCurrent = false;
      clearTimeout(retry);
    };
  }, [connection]);
  return (
    <>
      <AppHeader session={session} route={route ?? ''} onLogout={onLogout} />
      <CriticalBanner />
      <main id="main" tabIndex={-1}>
        {isReady ? <Routes session={session} /> : null}
      </main>
    </>
  );
}

function App() {
  const { t } = useI18n();
  const [phase, setPhase] = useState<Phase>({ name: 'checking' });
  const enter = (session: Session | null) => {
    if (session === null) setPhase({ name: 'login' });
    else if (session.user.mustChangePassword) setPhase({ name: 'password' });
    else setPhase({ name: 'ready', session });
  };
  const check = () => fetchSession().then(enter, (error: ApiError) => setPhase({ name: 'failed', error }));
  useEffect(() => {
    onSessionLost(() => setPhase({ name: 'login' }));
    void check();
  }, []);

  switch (phase.name) {
    case 'checking':
      return <p class="muted centered">{t('loading')}</p>;
    case 'login':
      return <LoginScreen onSession={enter} />;
    case 'password':
      return <PasswordScreen onChanged={() => void check()} />;
    case 'failed':
      return (
        <main class="auth-screen" id="main">
          <h1>{t('errorTitle')}</h1>
          <ErrorMessage error={phase.error} />
        </main>
      );
    case 'ready':
      return (
        <Shell
          session={phase.session}
          onSessionLost={() => setPhase({ name: 'login' })}
          onLogout={() => void logOut().finally(() => setPhase({ name: 'login' }))}
        />
      );
  }
}

render(<App />, document.getElementById('app')!);
