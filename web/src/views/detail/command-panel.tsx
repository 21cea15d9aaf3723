import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { isMessageKey, type MessageKey, useI18n } from '../../i18n.js';

const COMMANDS = ['pause', 'resume', 'withdraw'] as const;
type CommandType = (typeof COMMANDS)[number];

interface CommandView {
  id: string;
  type: string;
  reason: string;
  by: string;
  sentAt: string;
  status: string;
}

/** Pause, resume or withdraw the machine with a reason (operators); the recent commands below. */
export function CommandPanel({ kioskId, canCommand }: { kioskId: string; canCommand: boolean }) {
  const { lang, t } = useI18n();
  const path = `/kiosks/${encodeURIComponent(kioskId)}/commands`;
  const history = useLoad(() => api.get<{ commands: CommandView[] }>(path), [kioskId]);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);

  async function send(type: CommandType) {
    if (reason.trim() === '') {
      setError(new ApiError(400, 'REASON_REQUIRED', t('reasonRequired')));
      return;
    }
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
            {COMMANDS.map((type) => (
              <button key={type} type="button" data-command={type} disabled={isBusy} onClick={() => void send(type)}>
                {t(`command_${type}`)}
              </button>
            ))}
          </div>
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
                <td>{isMessageKey(`command_${c.type}`) ? t(`command_${c.type}` as MessageKey) : c.type}</td>
                <td translate={false}>{c.reason}</td>
                <td translate={false}>{c.by}</td>
                <td>{isMessageKey(`commandStatus_${c.status}`) ? t(`commandStatus_${c.status}` as MessageKey) : c.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <ErrorMessage error={history.error} />
    </div>
  );
}
