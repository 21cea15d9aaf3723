import { useMemo, useState } from 'preact/hooks';
import type { toReservationView } from '../../../../dashboard/reservation-view.js';
import { api } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { useLive, useLoad, useNow } from '../../hooks.js';
import { useI18n } from '../../i18n.js';
import { DeliveredList } from './delivered-list.js';
import { DestinationLink } from './destination-link.js';
import { HandDeliveryForm } from './hand-delivery-form.js';

type ReservationView = ReturnType<typeof toReservationView>;

interface ReservationList {
  reservations: ReservationView[];
  count: number;
  slaHours: number;
}

const STATE_RANK: Partial<Record<ReservationView['state'], number>> = { breached: 0, at_risk: 1, open: 2 };
const rankOf = (r: ReservationView) => STATE_RANK[r.state] ?? 3;

/**
 * Outstanding reservations against the 72-hour delivery promise: breached, at risk, then open; a live
 * countdown. Whoever may (`canDeliver`) records a delivery made by hand from its row; the latest
 * deliveries follow, by hand or by machine.
 */
export function ReservationsPage({ canDeliver }: { canDeliver: boolean }) {
  const { lang, t } = useI18n();
  const [delivering, setDelivering] = useState<string | null>(null);
  const [delivered, setDelivered] = useState<string | null>(null);
  const summary = useLive((s) => s.promises?.reservations);
  const noticeSeq = useLive((s) => s.noticeSeq);
  const list = useLoad(
    () => api.get<ReservationList>('/reservations'),
    [summary?.open, summary?.atRisk, summary?.breached, noticeSeq, delivered],
  );
  const nowMs = useNow(1_000);
  const sorted = useMemo(
    () =>
      [...(list.data?.reservations ?? [])].sort(
        (a, b) => rankOf(a) - rankOf(b) || Date.parse(a.deadline) - Date.parse(b.deadline),
      ),
    [list.data],
  );
  return (
    <section class="panel" aria-labelledby="reservations-title">
      <h1 id="reservations-title">{t('reservationsTitle', { h: list.data?.slaHours ?? 72 })}</h1>
      {summary ? (
        <p class="summary-row">
          <span>
            {t('res_open')}: <strong>{summary.open}</strong>
          </span>
          <span class="soon">
            {t('res_at_risk')}: <strong>{summary.atRisk}</strong>
          </span>
          <span class="late">
            {t('res_breached')}: <strong>{summary.breached}</strong>
          </span>
        </p>
      ) : null}
      {delivered ? (
        <p class="notice" role="status" data-notice>
          {t('handDeliveryRecorded', { id: delivered })}
        </p>
      ) : null}
      <ErrorMessage error={list.error} />
      {list.data ? (
        <DataTable
          class="table"
          id="reservations-table"
          rows={sorted}
          rowKey={(r) => r.reservationId}
          rowAttributes={(r) => ({ 'data-reservation': r.reservationId, 'data-state': r.state })}
          empty={t('noReservations')}
          columns={[
            { key: 'reservation', header: t('reservation'), cell: (r) => r.reservationId },
            { key: 'destination', header: t('destination'), cell: (r) => <DestinationLink kioskId={r.kioskId} /> },
            { key: 'created', header: t('created'), cell: (r) => formatDateTime(lang, r.createdAt) },
            { key: 'deadline', header: t('deadline'), cell: (r) => formatDateTime(lang, r.deadline) },
            {
              key: 'countdown',
              header: t('countdown'),
              cell: (r) => {
                const leftMs = Date.parse(r.deadline) - nowMs;
                return leftMs >= 0 ? formatDuration(leftMs, lang) : `−${formatDuration(leftMs, lang)}`;
              },
              cellAttributes: (r) => {
                const leftMs = Date.parse(r.deadline) - nowMs;
                return { class: leftMs < 0 ? 'late' : r.state === 'at_risk' ? 'soon' : '' };
              },
            },
            {
              key: 'status',
              header: t('status'),
              cell: (r) => (
                <span class={`pill pill-${r.state}`}>
                  {r.state === 'open' || r.state === 'at_risk' || r.state === 'breached' ? t(`res_${r.state}`) : r.state}
                </span>
              ),
            },
            canDeliver && {
              key: 'handDelivery',
              header: t('handDelivery'),
              cell: (r) =>
                delivering === r.reservationId ? (
                  <HandDeliveryForm
                    reservationId={r.reservationId}
                    onDone={(isDelivered) => {
                      setDelivering(null);
                      if (isDelivered) setDelivered(r.reservationId);
                    }}
                  />
                ) : (
                  <button type="button" data-action="deliver" onClick={() => setDelivering(r.reservationId)}>
                    {t('deliveredByHand')}
                  </button>
                ),
            },
          ]}
        />
      ) : null}
      <DeliveredList refreshKey={list.data} />
    </section>
  );
}
