import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import type { ServiceState } from '../../states.js';

const COMMANDS = ['pause', 'resume', 'withdraw'] as const;
type CommandType = (typeof COMMANDS)[number];

/**
 * The commands that make sense in a state: Resume only undoes a pause, Pause and Withdraw only
 * stop a machine not already stopped that way (a withdrawn machine returns through the registry).
 */
function commandsFor(state: ServiceState): CommandType[] {
  if (state === 'paused') return ['resume', 'withdraw'];
  if (state === 'withdrawn') return [];
  return ['pause', 'withdraw'];
}

/** The question's safe answer takes the focus when it appears, so a keyboard user lands on it. */
const focusOnMount = (button: HTMLButtonElement | null) => button?.focus();

const isCommandType = (type: string): type is CommandType => (COMMANDS as readonly string[]).includes(type);

interface CommandView {
  id: string;
  type: string;
  reason: string;
  by: string;
  sentAt: string;
  status: string;
}

/** Pause, resume or withdraw the machine with a reason (operators); the recent commands below. */
export function CommandPanel({
  kioskId,
  canCommand,
  serviceState,
}: {
  kioskId: string;
  canCommand: boolean;
  serviceState: ServiceState;
}) {
  const { lang, t } = useI18n();
  const path = `/kiosks/${encodeURIComponent(kioskId)}/commands`;
  const history = useLoad(() => api.get<{ commands: CommandView[] }>(path), [kioskId]);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const [isConfirming, setConfirming] = useState(false);

  async function send(type: CommandType, isConfirmed = false) {
    if (reason.trim() === '') {
      setError(new ApiError(400, 'REASON_REQUIRED', t('reasonRequired')));
      return;
    }
    // Withdrawing takes the machine from readers until someone brings it back: asked first.
    if (type === 'withdraw' && !isConfirmed) {
      setConfirming(true);
      return;
    }
    setConfirming(false);
    setBusy(true);
    setError(null);
    try {
      await api.post(path, { type, reason: reason.trim() });
      setSent(t('commandSent', { type: t(`command_${type}`) }));
      setReason('');
      history.reload();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="commands">
      {canCommand ? (
        <form class="command-form" onSubmit={(e) => e.preventDefault()}>
          <label>
            {t('reason')}
            <input
              name="reason"
              required
              maxLength={500}
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
              aria-describedby="command-status"
            />
          </label>
          <div class="button-row">
            {commandsFor(serviceState).map((type) => (
              <button key={type} type="button" data-command={type} disabled={isBusy} onClick={() => void send(type)}>
                {t(`command_${type}`)}
              </button>
            ))}
          </div>
          {isConfirming ? (
            <div class="confirm" data-confirm="withdraw" role="alertdialog" aria-labelledby="withdraw-question">
              <p id="withdraw-question">{t('confirmWithdraw', { kiosk: kioskId })}</p>
              <div class="button-row">
                <button
                  type="button"
                  class="danger"
                  data-action="confirm"
                  disabled={isBusy}
                  onClick={() => void send('withdraw', true)}
                >
                  {t('confirmWithdrawYes')}
                </button>
                <button type="button" data-action="cancel" ref={focusOnMount} onClick={() => setConfirming(false)}>
                  {t('cancel')}
                </button>
              </div>
            </div>
          ) : null}
          <p id="command-status" role="status" class="muted">
            {sent}
          </p>
          <ErrorMessage error={error} />
        </form>
      ) : null}
      {/* No table of headers over no rows: a screen reader would announce an empty grid. */}
      {history.data?.commands.length === 0 ? <p class="muted">{t('none')}</p> : null}
      {history.data && history.data.commands.length > 0 ? (
        <table class="table compact">
          <thead>
            <tr>
              <th scope="col">{t('sentAt')}</th>
              <th scope="col">{t('commands')}</th>
              <th scope="col">{t('reason')}</th>
              <th scope="col">{t('by')}</th>
              <th scope="col">{t('status')}</th>
            </tr>
          </thead>
          <tbody>
            {history.data.commands.slice(0, 10).map((c) => (
              <tr key={c.id}>
                <td>{formatDateTime(lang, c.sentAt)}</td>
                <td>{isCommandType(c.type) ? t(`command_${c.type}`) : c.type}</td>
                <td>{c.reason}</td>
                <td>{c.by}</td>
                <td>{c.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <ErrorMessage error={history.error} />
    </div>
  );
}
