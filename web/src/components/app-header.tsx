import { useEffect, useState } from 'preact/hooks';
import { useLive } from '../hooks.js';
import { type MessageKey, useI18n } from '../i18n.js';
import { can, type Permission, type Session } from '../session.js';
import { PasswordDialog } from './auth-screens.js';
import { CriticalCue } from './critical-cue.js';
import { LanguageSwitch } from './language-switch.js';

const NAV: ReadonlyArray<{ path: string; label: MessageKey; permission?: Permission }> = [
  { path: '', label: 'navOverview' },
  { path: 'alerts', label: 'navAlerts' },
  { path: 'inspections', label: 'navInspections' },
  { path: 'reservations', label: 'navReservations' },
  { path: 'notifications', label: 'navNotifications' },
  { path: 'reports', label: 'navReports', permission: 'readReports' },
  { path: 'admin', label: 'navAdmin', permission: 'administer' },
];

export function AppHeader({ session, route, onLogout }: { session: Session; route: string; onLogout: () => void }) {
  const { t } = useI18n();
  const connection = useLive((s) => s.connection);
  const openAlerts = useLive((s) => s.alerts.size);
  const [isPasswordOpen, setPasswordOpen] = useState(false);
  // On a phone the pages and tools fold behind a Menu button; choosing a page folds them again.
  const [isMenuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [route]);
  // Each view titles the tab (WCAG 2.4.2 Page Titled); the overview keeps the app's own title.
  const view = NAV.find((item) => item.path === route && item.path !== '');
  const title = view ? `${t(view.label)} · ${t('appTitle')}` : t('appTitle');
  useEffect(() => {
    document.title = title;
  }, [title]);
  return (
    <header class="app-header">
      {/* The hash is the router's: the skip link moves focus itself instead of navigating. */}
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        {t('skipToContent')}
      </a>
      <span class="brand">{t('appTitle')}</span>
      <span class={`connection connection-${connection}`} role="status" data-connection={connection}>
        {connection === 'live' ? t('live') : connection === 'connecting' ? t('connecting') : t('reconnecting')}
      </span>
      <button
        type="button"
        class="menu-toggle"
        data-action="menu"
        aria-expanded={isMenuOpen}
        aria-controls="header-menu"
        onClick={() => setMenuOpen(!isMenuOpen)}
      >
        {t('menu')}
        {openAlerts > 0 ? <span class="nav-count">{openAlerts}</span> : null}
      </button>
      <div class="header-menu" id="header-menu" data-open={String(isMenuOpen)}>
        <nav aria-label={t('navMain')}>
          <ul>
            {NAV.filter((item) => item.permission === undefined || can(session, item.permission)).map((item) => (
              <li key={item.path}>
                <a
                  href={`#/${item.path}`}
                  aria-current={route === item.path ? 'page' : undefined}
                  data-nav={item.path || 'overview'}
                >
                  {t(item.label)}
                  {item.path === 'alerts' && openAlerts > 0 ? <span class="nav-count">{openAlerts}</span> : null}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="header-tools">
          <CriticalCue />
          <LanguageSwitch />
          <span class="user" data-role={session.user.role}>
            {session.user.displayName} <span class="muted">({t(`role_${session.user.role}`)})</span>
          </span>
          <button type="button" aria-haspopup="dialog" data-action="change-password" onClick={() => setPasswordOpen(true)}>
            {t('changePassword')}
          </button>
          <button type="button" onClick={onLogout} data-action="logout">
            {t('logout')}
          </button>
        </div>
      </div>
      {isPasswordOpen ? <PasswordDialog onClose={() => setPasswordOpen(false)} /> : null}
    </header>
  );
}
