import { afterEach, describe, expect, test } from 'vitest';
import { REFERENCE_TARGETS } from '../../collector/domain/indicators.js';
import type { IndicatorTargetsStore } from '../../dashboard/reports/indicator-targets.js';

/** Opens an empty targets store at `place` (the same place twice: the same targets); `cleanup` removes what is left. */
export type OpenTargetsStore = () => Promise<{ open(): Promise<IndicatorTargetsStore>; cleanup(): Promise<void> }>;

const LIBRARY_TARGETS = {
  ...REFERENCE_TARGETS,
  circulationPerYear: 90_000,
  weeklyInspectionRatio: 0.95,
  availabilityRatio: 0.98,
};

/** Behaviour every IndicatorTargetsStore adapter must show. */
export function describeIndicatorTargetsContract(name: string, openPlace: OpenTargetsStore): void {
  describe(`IndicatorTargetsStore contract: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    test('until a manager sets targets, the reference targets are in force', async () => {
      const place = await openPlace();
      cleanups.push(place.cleanup);
      const store = await place.open();
      cleanups.push(() => store.close());
      expect(await store.read()).toEqual({ targets: REFERENCE_TARGETS, isReference: true, updatedBy: null, updatedMs: null });
    });

    test("the library's targets replace the reference ones, say who set them and outlive a restart", async () => {
      const place = await openPlace();
      cleanups.push(place.cleanup);
      const first = await place.open();
      await first.save({ ...LIBRARY_TARGETS, circulationPerYear: 1 }, 'someone', 1_000);
      expect(await first.save(LIBRARY_TARGETS, 'manager', 2_000)).toEqual({
        targets: LIBRARY_TARGETS,
        isReference: false,
        updatedBy: 'manager',
        updatedMs: 2_000,
      });
      await first.close();
      const again = await place.open();
      cleanups.push(() => again.close());
      expect(await again.read()).toMatchObject({ targets: LIBRARY_TARGETS, updatedBy: 'manager' });
    });

    test('a share above 100 % is refused and changes nothing', async () => {
      const place = await openPlace();
      cleanups.push(place.cleanup);
      const store = await place.open();
      cleanups.push(() => store.close());
      await expect(store.save({ ...LIBRARY_TARGETS, availabilityRatio: 1.5 }, 'manager', 1_000)).rejects.toThrow();
      expect((await store.read()).isReference).toBe(true);
    });
  });
}
