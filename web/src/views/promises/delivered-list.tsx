import type { toReservationView } from '../../../../dashboard/reservation-view.js';
import { api } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime } from '../../format.js';
import { useLoad } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { DestinationLink } from './destination-link.js';

type ReservationView = ReturnType<typeof toReservationView>;

/**
 * "By hand: Wang Fang" with the name marked translate="no": who delivered is the data's words (a
 * courier's name, the simulated platform's), not the page's, and no translator should touch it.
 */
function ByHand({ by }: { by: string }) {
  const { t } = useI18n();
  const MARK = '\u0000';
  const [before, after] = t('byHand', { by: MARK }).split(MARK);
  return (
    <>
      {before}
      <span translate={false}>{by}</span>
      {after}
    </>
  );
}

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
      {list.data ? (
        <DataTable
          class="table"
          id="delivered-table"
          rows={delivered}
          rowKey={(r) => r.reservationId}
          rowAttributes={(r) => ({
            'data-reservation': r.reservationId,
            'data-by': r.delivery!.by === null ? 'machine' : 'hand',
          })}
          empty={t('noDeliveriesYet')}
          columns={[
            { key: 'reservation', header: t('reservation'), cell: (r) => r.reservationId },
            { key: 'destination', header: t('destination'), cell: (r) => <DestinationLink kioskId={r.kioskId} /> },
            { key: 'deliveredAt', header: t('deliveredAt'), cell: (r) => formatDateTime(lang, r.delivery!.at) },
            {
              key: 'deliveredHow',
              header: t('deliveredHow'),
              cell: (r) => (r.delivery!.by === null ? t('byMachine') : <ByHand by={r.delivery!.by} />),
            },
            {
              key: 'status',
              header: t('status'),
              cell: (r) => (
                <span class={`pill pill-${r.state}`}>
                  {r.state === 'delivered_late' ? t('res_delivered_late') : t('res_delivered_on_time')}
                </span>
              ),
            },
          ]}
        />
      ) : null}
    </section>
  );
}
