import type { Page } from 'playwright-core';

/** A colour on the map canvas: where it is drawn and how many pixels it covers. */
export interface ColourSpot {
  /** Page coordinates of the centre of the colour's pixels (for `page.mouse.move`). */
  x: number;
  y: number;
  pixels: number;
}

/**
 * Where the fleet map draws a colour (`#rrggbb`), read from its canvas: the map is pixels, not
 * elements, so a test finds a machine by its state colour. `null` when the colour is not drawn.
 * The canvas is transparent where nothing is drawn; a pixel counts when at least half opaque (the
 * district names are drawn at 0.8). `tolerance` (per channel) finds smoothed text too.
 */
export async function findColourOnMap(page: Page, hex: string, tolerance = 0): Promise<ColourSpot | null> {
  return page
    .locator('.map canvas')
    .first()
    .evaluate(
      (canvas: HTMLCanvasElement, [colour, within]: [string, number]) => {
        const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
        const context = canvas.getContext('2d')!;
        const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
        let count = 0;
        let sumX = 0;
        let sumY = 0;
        // Below the legend (the grid's top, 28 px): its swatches have the states' colours too.
        for (let y = 30; y < height; y++)
          for (let x = 0; x < width; x++) {
            const i = (y * width + x) * 4;
            const isNear =
              Math.abs(data[i]! - r!) <= within && Math.abs(data[i + 1]! - g!) <= within && Math.abs(data[i + 2]! - b!) <= within;
            if (isNear && data[i + 3]! >= 128) {
              count += 1;
              sumX += x;
              sumY += y;
            }
          }
        if (count === 0) return null;
        const box = canvas.getBoundingClientRect();
        const scale = box.width / canvas.width;
        return { x: box.left + (sumX / count) * scale, y: box.top + (sumY / count) * scale, pixels: count };
      },
      [hex, tolerance] as [string, number],
    );
}
