import { api } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatNumber, formatTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';

/** `GET /api/v1/kiosks/:id/activity`. */
interface ActivityAnswer {
  hourStart: string;
  usualThisHour: number | null;
  seenThisHour: number;
  insufficientHistory: string | null;
  usualNext24h: number[] | null;
}

const HOUR_MS = 3_600_000;
/** Expected counts are rates (1.4 an hour): one decimal says enough. */
const oneDecimal = (n: number) => Math.round(n * 10) / 10;

/**
 * "Usual for this hour" beside what happened: the machine's expected loans + returns in the current
 * hour (learnt from its own history) and those seen so far, then the next 24 hours as small bars.
 * With too little history it says so instead of guessing.
 */
export function UsualActivity({ kioskId, refreshKey }: { kioskId: string; refreshKey?: unknown }) {
  const { lang, t } = useI18n();
  const answer = useLoad(() => api.get<ActivityAnswer>(`/kiosks/${encodeURIComponent(kioskId)}/activity`), [kioskId, refreshKey]);
  const a = answer.data;
  if (answer.error) return <ErrorMessage error={answer.error} />;
  if (!a) return <p class="muted">{t('loading')}</p>;
  const peak = Math.max(...(a.usualNext24h ?? [0]), 0.1);
  return (
    <div class="usual-activity" data-usual-activity>
      <dl class="facts">
        <div>
          <dt>{t('usualThisHour')}</dt>
          <dd data-usual>
            {a.usualThisHour === null ? (
              <span class="muted" title={a.insufficientHistory ?? undefined}>
                {t('notEnoughHistory')}
              </span>
            ) : (
              formatNumber(lang, oneDecimal(a.usualThisHour))
            )}
          </dd>
        </div>
        <div>
          <dt>{t('seenThisHour')}</dt>
          <dd data-seen>{formatNumber(lang, a.seenThisHour)}</dd>
        </div>
      </dl>
      {a.usualNext24h ? (
        <figure class="usual-bars" aria-label={t('usualNext')}>
          <figcaption class="muted">{t('usualNext')}</figcaption>
          <ol class="plain-list" style={{ display: 'flex', alignItems: 'flex-end', gap: '2px', height: '3rem' }}>
            {a.usualNext24h.map((rate, i) => {
              const at = new Date(Date.parse(a.hourStart) + i * HOUR_MS).toISOString();
              return (
                <li
                  key={at}
                  title={`${formatTime(lang, at)}: ${formatNumber(lang, oneDecimal(rate))}`}
                  style={{ flex: '1', height: `${Math.max(4, (rate / peak) * 100)}%`, background: 'currentColor', opacity: 0.4 }}
                />
              );
            })}
          </ol>
        </figure>
      ) : null}
    </div>
  );
}
