import tokensCss from './styles/tokens.css?raw';

/**
 * The colours drawn outside CSS (ECharts paints on a canvas; a few inline styles), read from the
 * design tokens at build time, so that web/src/styles/tokens.css stays the one file that defines a
 * colour. A name missing from the tokens fails loudly when the module loads, not as a black chart.
 */
const defined = new Map(
  [...tokensCss.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]),
);

export function token(name: `--${string}`): string {
  const value = defined.get(name);
  if (value === undefined) throw new Error(`web/src/styles/tokens.css defines no ${name}`);
  return value;
}

export const PALETTE = {
  onColour: token('--on-colour'),
  onStateLight: token('--on-state-light'),
  blue: token('--chart-blue'),
  green: token('--chart-green'),
  red: token('--chart-red'),
  amber: token('--chart-amber'),
  yellow: token('--chart-yellow'),
  brown: token('--chart-brown'),
  mapMarkerLine: token('--map-marker-line'),
  mapLabel: token('--map-label'),
} as const;
