import { useMemo } from 'preact/hooks';
import { Chart, type ChartOption } from '../../components/chart.js';
import { useThrottled } from '../../hooks.js';
import type { KioskView } from '../../live/live-store.js';
import { type Lang, translate } from '../../i18n.js';
import { stateWithReason } from '../../fault-words.js';
import { STATE_COLOURS, STATE_ORDER, type ServiceState } from '../../states.js';
import { mapTooltipOf } from './map-tooltip.js';
import { PALETTE } from '../../palette.js';

/** The map redraws (1,000 points on a canvas) at most this often; the tiles follow every push. */
const REDRAW_INTERVAL_MS = 1_000;
const LARGE_FLEET = 300;
/** District names are written at their machines' centre while there are few enough to read. */
const MAX_DISTRICT_LABELS = 40;
/** States an operator must find at once: drawn last (on top) and larger. */
const PROBLEM_STATES: ReadonlySet<ServiceState> = new Set(['out_of_service', 'offline', 'degraded']);
/** Drawing order: the reverse of the display order, so the worst states are painted over the rest. */
const DRAW_ORDER = [...STATE_ORDER].reverse();

/** The axis end a tenth of the span (at least 0.005°, half a kilometre) beyond the outermost machine. */
function padded(end: 'min' | 'max') {
  return ({ min, max }: { min: number; max: number }) => {
    const margin = Math.max((max - min) / 10, 0.005);
    return end === 'min' ? min - margin : max + margin;
  };
}

function symbolSizeOf(state: ServiceState, fleetSize: number): number {
  const isLarge = fleetSize > LARGE_FLEET;
  if (PROBLEM_STATES.has(state)) return isLarge ? 9 : 16;
  return isLarge ? 5 : 10;
}

/** Each district's name at the mean position of its machines. */
function districtCentres(kiosks: KioskView[], lang: Lang): Array<[number, number, string]> {
  const sums = new Map<string, { lon: number; lat: number; count: number }>();
  for (const k of kiosks) {
    const name = (lang === 'zh' ? k.district : (k.districtEn ?? k.district)) ?? null;
    if (name === null) continue;
    const sum = sums.get(name) ?? { lon: 0, lat: 0, count: 0 };
    sums.set(name, { lon: sum.lon + k.lon!, lat: sum.lat + k.lat!, count: sum.count + 1 });
  }
  if (sums.size > MAX_DISTRICT_LABELS) return [];
  return [...sums].map(([name, s]) => [s.lon / s.count, s.lat / s.count, name]);
}

/**
 * Machines plotted by their registry coordinates on a plain longitude/latitude plane: the network
 * is closed, so there are no map tiles. One scatter series per service state, one chart in all,
 * and the district names as a silent label layer.
 */
export function FleetMap({ kiosks: latest, lang }: { kiosks: KioskView[]; lang: Lang }) {
  const kiosks = useThrottled(latest, REDRAW_INTERVAL_MS);
  const placed = useMemo(() => kiosks.filter((k) => k.lat !== null && k.lon !== null), [kiosks]);
  const byState = useMemo(
    () =>
      DRAW_ORDER.map((state) => ({ state, kiosks: placed.filter((k) => k.serviceState === state) })).filter(
        (group) => group.kiosks.length > 0,
      ),
    [placed],
  );
  const option = useMemo<ChartOption>(
    () => ({
      animation: false,
      grid: { left: 8, right: 8, top: 28, bottom: 8, containLabel: false },
      legend: {
        top: 0,
        type: 'scroll',
        textStyle: { fontSize: 11 },
        // The legend keeps the display order (worst first) while the series are drawn best first.
        data: [...byState].reverse().map(({ state }) => translate(lang, `state_${state}`)),
      },
      tooltip: {
        trigger: 'item',
        formatter: (p: { data: [number, number, string, string, string] }) => mapTooltipOf(p.data[2], p.data[3], p.data[4]),
      },
      // A margin round the machines, so none is cut in half at the plane's edge.
      xAxis: { type: 'value', scale: true, show: false, min: padded('min'), max: padded('max') },
      yAxis: { type: 'value', scale: true, show: false, min: padded('min'), max: padded('max') },
      series: [
        ...byState.map(({ state, kiosks: inState }) => ({
          type: 'scatter',
          name: translate(lang, `state_${state}`),
          symbolSize: symbolSizeOf(state, placed.length),
          // Large mode draws a big series as one path instead of one element per machine.
          large: true,
          largeThreshold: LARGE_FLEET,
          // Light colours (unknown, reserve) get a dark rim to stand out on the white plane.
          itemStyle: {
            color: STATE_COLOURS[state].background,
            borderColor: STATE_COLOURS[state].text === PALETTE.onColour ? PALETTE.onColour : PALETTE.mapMarkerLine,
            borderWidth: 0.5,
            // Opaque (ECharts draws scatter marks at 0.8): a problem mark hides what lies under it.
            opacity: 1,
          },
          data: inState.map((k) => [
            k.lon,
            k.lat,
            k.id,
            (lang === 'zh' ? k.name : (k.nameEn ?? k.name)) ?? '',
            stateWithReason(lang, k),
          ]),
        })),
        // After the states, so a click's series index still points into byState.
        {
          type: 'scatter',
          name: 'districts',
          silent: true,
          symbolSize: 0,
          z: 1,
          label: {
            show: true,
            formatter: '{@[2]}',
            color: PALETTE.mapLabel,
            fontSize: 12,
            fontWeight: 600,
            position: 'top',
            distance: 10,
          },
          data: districtCentres(placed, lang),
        },
      ],
    }),
    [byState, lang, placed.length],
  );
  const missing = kiosks.length - placed.length;
  const description = translate(lang, 'chartMapDescription', {
    n: placed.length,
    states: [...byState]
      .reverse()
      .map(({ state, kiosks: inState }) => `${translate(lang, `state_${state}`)} ${inState.length}`)
      .join(lang === 'zh' ? '，' : ', '),
  });
  return (
    <div class="map">
      <Chart
        option={option}
        label={translate(lang, 'mapLabel')}
        description={description}
        height={360}
        onPick={(dataIndex, seriesIndex) => {
          const kiosk = byState[seriesIndex]?.kiosks[dataIndex];
          if (kiosk) location.hash = `#/kiosk/${encodeURIComponent(kiosk.id)}`;
        }}
      />
      {missing > 0 ? <p class="muted">{translate(lang, 'noCoordinates', { n: missing })}</p> : null}
    </div>
  );
}
