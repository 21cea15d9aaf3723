import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { fleetInstantOf, getFleetTimeZone } from '../../format.js';
import { useI18n } from '../../i18n.js';

/**
 * Records a reservation delivered by hand (a courier to the reader's home, the crew into a
 * machine): when, in the fleet's zone, or now when left empty. The server names who delivered it:
 * the person signed in.
 */
export function HandDeliveryForm(props: { reservationId: string; onDone: (isDelivered: boolean) => void }) {
  const { t } = useI18n();
  const [wallTime, setWallTime] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [isSending, setSending] = useState(false);
  const submit = async () => {
    setSending(true);
    try {
      await api.post(
        `/reservations/${encodeURIComponent(props.reservationId)}/delivered`,
        wallTime ? { deliveredAt: fleetInstantOf(wallTime) } : {},
      );
      props.onDone(true);
    } catch (e) {
      // The server names the refused field in English; the page says it in its own language.
      const isTimeRefused = e instanceof ApiError && e.code === 'INVALID_REQUEST' && e.message.includes('deliveredAt');
      setError(
        isTimeRefused
          ? new ApiError(400, 'DELIVERY_TIME_REFUSED', e.message)
          : e instanceof ApiError
            ? e
            : new ApiError(0, 'ERROR', String(e)),
      );
      setSending(false);
    }
  };
  return (
    <form
      class="hand-delivery"
      aria-label={t('handDeliveryOf', { id: props.reservationId })}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        {t('deliveredAt')} <span class="muted">({t('deliveredAtHint', { zone: getFleetTimeZone() })})</span>
        <input type="datetime-local" name="deliveredAt" value={wallTime} onInput={(e) => setWallTime(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={isSending} data-action="confirm-delivery">
        {t('confirmDelivery')}
      </button>
      <button type="button" onClick={() => props.onDone(false)}>
        {t('cancel')}
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}
