import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, query } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { type MessageKey, useI18n } from '../../i18n.js';

interface ChannelHealth {
  name: string;
  type: string;
  state: 'ok' | 'retrying' | 'failing';
  queued: number;
  held: number;
  oldestAgeMs: number | null;
  lastError: { at: string; message: string } | null;
}

interface OutboxEntry {
  id: number;
  channel: string;
  state: string;
  source: string;
  kind?: string;
  district?: string | null;
  alertIds?: string[];
  createdAt: string;
  attempts: number;
  lastError: string | null;
}

/** How often the page looks at the channels again while it is shown. */
const REFRESH_MS = 10_000;

/**
 * The notification channels: each one's state, backlog and last error, a test message per channel,
 * and the messages waiting or held, which operators and admins can give up or send again.
 */
export function NotificationsPage({ canAct }: { canAct: boolean }) {
  const { lang, t } = useI18n();
  const [channels, setChannels] = useState<ChannelHealth[] | null>(null);
  const [isConfigured, setConfigured] = useState(true);
  const [entries, setEntries] = useState<OutboxEntry[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState('');
  const [isBusy, setBusy] = useState(false);

  async function load() {
    try {
      const answer = await api.get<{ isConfigured: boolean; channels: ChannelHealth[] }>('/notifications');
      setConfigured(answer.isConfigured);
      setChannels(answer.channels);
      if (answer.isConfigured) {
        const outbox = await api.get<{ entries: OutboxEntry[] }>(
          `/notifications/outbox?${query({ state: 'pending,sending,held', limit: 200 })}`,
        );
        setEntries(outbox.entries);
      }
    } catch (e) {
      setError(e as ApiError);
    }
  }
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  async function act(path: string, done: string) {
    setBusy(true);
    setError(null);
    try {
      await api.post(path);
      setNotice(done);
      await load();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  }

  if (!isConfigured) {
    return (
      <section class="panel" aria-labelledby="notifications-title">
        <h1 id="notifications-title">{t('notificationsTitle')}</h1>
        <p class="muted">{t('notificationsOff')}</p>
      </section>
    );
  }
  return (
    <section class="panel" aria-labelledby="notifications-title">
      <h1 id="notifications-title">{t('notificationsTitle')}</h1>
      <ErrorMessage error={error} />
      {notice ? (
        <p role="status" data-notice>
          {notice}
        </p>
      ) : null}
      {/* No `table` class: this table has always had the browser's own look; the app's would be a change of its own. */}
      <DataTable
        id="channels"
        rows={channels ?? []}
        rowKey={(c) => c.name}
        rowAttributes={(c) => ({ 'data-channel': c.name, 'data-state': c.state })}
        columns={[
          {
            key: 'channel',
            header: t('channel'),
            isRowHeader: true,
            cell: (c) => (
              <>
                {c.name} <span class="muted">({c.type})</span>
              </>
            ),
          },
          { key: 'state', header: t('channelState'), cell: (c) => t(`channelState_${c.state}` as MessageKey) },
          { key: 'waiting', header: t('outboxWaiting'), cell: (c) => c.queued },
          { key: 'held', header: t('outboxHeld'), cell: (c) => c.held },
          {
            key: 'oldest',
            header: t('outboxOldest'),
            cell: (c) => (c.oldestAgeMs === null ? '—' : formatDuration(c.oldestAgeMs, lang)),
          },
          {
            key: 'lastError',
            header: t('lastError'),
            cell: (c) => (c.lastError ? `${formatDateTime(lang, c.lastError.at)} ${c.lastError.message}` : '—'),
          },
          canAct && {
            key: 'test',
            header: null,
            cell: (c) => (
              <button
                type="button"
                data-action="test"
                disabled={isBusy}
                onClick={() =>
                  void act(`/notifications/channels/${encodeURIComponent(c.name)}/test`, t('testQueued', { channel: c.name }))
                }
              >
                {t('sendTest')}
              </button>
            ),
          },
        ]}
      />
      <h2>{t('outboxTitle')}</h2>
      {entries.length === 0 ? <p class="muted">{t('outboxEmpty')}</p> : null}
      <ul class="plain-list" id="outbox">
        {entries.map((e) => (
          <li key={e.id} data-entry={e.id} data-state={e.state}>
            {formatDateTime(lang, e.createdAt)} · {e.channel} · {t(`delivery_${e.state}` as MessageKey)}
            {e.alertIds ? ` · ${e.alertIds.join(', ')}` : ` · ${e.source}`}
            {e.lastError ? ` · ${e.lastError}` : ''}
            {canAct && e.state === 'held' ? (
              <button
                type="button"
                data-action="retry"
                disabled={isBusy}
                onClick={() => void act(`/notifications/outbox/${e.id}/retry`, '')}
              >
                {t('retrySend')}
              </button>
            ) : null}
            {canAct && e.state !== 'sending' ? (
              <button
                type="button"
                data-action="give-up"
                disabled={isBusy}
                onClick={() => void act(`/notifications/outbox/${e.id}/give-up`, '')}
              >
                {t('giveUp')}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
