import { memo } from 'preact/compat';
import type { KioskView } from '../../live/live-store.js';
import { type Lang, translate } from '../../i18n.js';
import { reasonOf } from '../../fault-words.js';
import { STATE_COLOURS } from '../../states.js';

/**
 * One machine as a small link. Memoised on the machine's object: a push replaces only the machines
 * that changed, so with 1,000 tiles a push re-renders just those.
 */
const Tile = memo(function Tile({ kiosk, lang }: { kiosk: KioskView; lang: Lang }) {
  const colours = STATE_COLOURS[kiosk.serviceState];
  const name = lang === 'zh' ? kiosk.name : (kiosk.nameEn ?? kiosk.name);
  const faults = kiosk.openFaults.length;
  // Why it is down, in words: an operator's pause or withdrawal does not hide a fault still open.
  const reason = reasonOf(lang, kiosk);
  const details = `${name}: ${translate(lang, `state_${kiosk.serviceState}`)}`;
  // The name comes from the content, hidden words included, so it holds the visible id and fault
  // count in reading order (WCAG 2.5.3 Label in Name: say "A-002" to a speech tool and it matches).
  return (
    <li>
      <a
        class="tile"
        href={`#/kiosk/${encodeURIComponent(kiosk.id)}`}
        data-kiosk={kiosk.id}
        data-state={kiosk.serviceState}
        data-fault={String(faults > 0)}
        style={{ background: colours.background, color: colours.text }}
        title={`${kiosk.id} ${details}${reason ? ` (${reason})` : ''}`}
      >
        <span class="tile-top">
          <span class="tile-id">{kiosk.id}</span>
          <span class="visually-hidden"> {details}</span>
          {faults > 0 ? (
            <span class="tile-faults">
              <span class="visually-hidden">, {translate(lang, 'openFaults')}: </span>
              {faults}
            </span>
          ) : null}
        </span>
        {reason ? <span class="tile-reason">{reason}</span> : null}
      </a>
    </li>
  );
});

export function KioskTiles({ kiosks, lang }: { kiosks: KioskView[]; lang: Lang }) {
  return (
    <ul class="tiles" data-count={kiosks.length}>
      {kiosks.map((k) => (
        <Tile key={k.id} kiosk={k} lang={lang} />
      ))}
    </ul>
  );
}
