import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, onSessionLost } from './api.js';
import { LoginScreen, PasswordScreen } from './components/auth-screens.js';
import { ErrorMessage } from './components/error-message.js';
import { useI18n } from './i18n.js';
import { fetchSession, logOut, type Session } from './session.js';
import './style.css';

/** The signed-in app (shell.tsx), fetched at once but not waited for: the sign-in form comes first. */
const shellModule = import('./shell.js');

type Phase =
  | { name: 'checking' }
  | { name: 'login' }
  | { name: 'password' }
  | { name: 'ready'; session: Session }
  | { name: 'failed'; error: ApiError };

/** The shell once its chunk is here; the loading line until then. */
function LazyShell(props: Parameters<Awaited<typeof shellModule>['Shell']>[0]) {
  const { t } = useI18n();
  const [module, setModule] = useState<Awaited<typeof shellModule> | null>(null);
  const [isFailed, setFailed] = useState(false);
  useEffect(() => void shellModule.then(setModule, () => setFailed(true)), []);
  if (isFailed) return <ErrorMessage error={new ApiError(0, 'NETWORK', 'the page could not be loaded')} />;
  return module ? <module.Shell {...props} /> : <p class="muted centered">{t('loading')}</p>;
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
        <LazyShell
          session={phase.session}
          onSessionLost={() => setPhase({ name: 'login' })}
          onLogout={() => void logOut().finally(() => setPhase({ name: 'login' }))}
        />
      );
  }
}

render(<App />, document.getElementById('app')!);
