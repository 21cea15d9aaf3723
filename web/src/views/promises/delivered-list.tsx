import type { toReservationView } from '../../../../dashboard/reservation-view.js';
import { api } from '../../api.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';

type ReservationView = ReturnType<typeof toReservationView>;

/** How many deliveries the list shows, newest first: the ones a person may still be asked about. */
const SHOWN = 20;

/**
 * The latest deliveries and who made them: by hand (a courier or the crew, named) or by the machine
 * itself (no name: the machine's own event).
 */
export function DeliveredList({ refreshKey }: { refreshKey: unknown }) {
  const { lang, t } = useI18n();
  const list = useLoad(
    () => api.get<{ reservations: ReservationView[] }>('/reservations?state=delivered_on_time,delivered_late'),
    [refreshKey],
  );
  const delivered = (list.data?.reservations ?? [])
    .filter((r) => r.delivery !== null)
    .sort((a, b) => Date.parse(b.delivery!.at) - Date.parse(a.delivery!.at))
    .slice(0, SHOWN);
  return (
    <section aria-labelledby="delivered-title">
      <h2 id="delivered-title">{t('recentlyDelivered')}</h2>
      <ErrorMessage error={list.error} />
      {list.data && delivered.length === 0 ? <p class="muted">{t('noDeliveriesYet')}</p> : null}
      {delivered.length > 0 ? (
        <table class="table" id="delivered-table">
          <thead>
            <tr>
              <th scope="col">{t('reservation')}</th>
              <th scope="col">{t('destination')}</th>
              <th scope="col">{t('deliveredAt')}</th>
              <th scope="col">{t('deliveredHow')}</th>
              <th scope="col">{t('status')}</th>
            </tr>
          </thead>
          <tbody>
            {delivered.map((r) => (
              <tr key={r.reservationId} data-reservation={r.reservationId} data-by={r.delivery!.by === null ? 'machine' : 'hand'}>
                <td>{r.reservationId}</td>
                <td>{r.kioskId ? <a href={`#/kiosk/${encodeURIComponent(r.kioskId)}`}>{r.kioskId}</a> : t('home')}</td>
                <td>{formatDateTime(lang, r.delivery!.at)}</td>
                <td>{r.delivery!.by === null ? t('byMachine') : t('byHand', { by: r.delivery!.by })}</td>
                <td>
                  <span class={`pill pill-${r.state}`}>
                    {r.state === 'delivered_late' ? t('res_delivered_late') : t('res_delivered_on_time')}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
