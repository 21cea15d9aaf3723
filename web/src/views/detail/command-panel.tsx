import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { isMessageKey, type MessageKey, useI18n } from '../../i18n.js';
import type { ServiceState } from '../../states.js';

type CommandType = 'pause' | 'resume' | 'withdraw';

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
      {history.data ? (
        <DataTable
          class="table compact"
          rows={history.data.commands.slice(0, 10)}
          rowKey={(c) => c.id}
          empty={t('none')}
          columns={[
            { key: 'sentAt', header: t('sentAt'), cell: (c) => formatDateTime(lang, c.sentAt) },
            {
              key: 'type',
              header: t('commands'),
              cell: (c) => (isMessageKey(`command_${c.type}`) ? t(`command_${c.type}` as MessageKey) : c.type),
            },
            { key: 'reason', header: t('reason'), cell: (c) => c.reason, cellAttributes: () => ({ translate: false }) },
            { key: 'by', header: t('by'), cell: (c) => c.by, cellAttributes: () => ({ translate: false }) },
            {
              key: 'status',
              header: t('status'),
              cell: (c) => (isMessageKey(`commandStatus_${c.status}`) ? t(`commandStatus_${c.status}` as MessageKey) : c.status),
            },
          ]}
        />
      ) : null}
      <ErrorMessage error={history.error} />
    </div>
  );
}
