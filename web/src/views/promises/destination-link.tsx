import { useI18n } from '../../i18n.js';

/** Where a reservation goes: a link to the machine's page, or "home" for a delivery to the reader's home. */
export function DestinationLink({ kioskId }: { kioskId: string | null }) {
  const { t } = useI18n();
  return kioskId ? <a href={`#/kiosk/${encodeURIComponent(kioskId)}`}>{kioskId}</a> : <>{t('home')}</>;
}
