import { afterEach, describe, expect, test } from 'vitest';
import type { ExportLog } from '../../dashboard/exports/export-log.js';

/** Opens an empty export log; `cleanup` closes it and removes what it left. */
export type OpenExportLog = () => Promise<{ log: ExportLog; cleanup(): Promise<void> }>;

const FIRST_JANUARY = { figures: { loans: 10, returns: 20, total: 30 }, exportedMs: 1_000 };

/** Behaviour every ExportLog adapter must show; each test opens its own empty log. */
export function describeExportLogContract(name: string, openLog: OpenExportLog): void {
  describe(`ExportLog contract: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    async function open(): Promise<ExportLog> {
      const { log, cleanup } = await openLog();
      cleanups.push(cleanup);
      return log;
    }

    test('the first export of a month is kept, later ones do not replace it, and scopes are apart', async () => {
      const log = await open();

      expect(await log.recordExport('fleet', [{ month: '2023-01', loans: 10, returns: 20 }], 1_000)).toEqual(new Map());
      const second = await log.recordExport(
        'fleet',
        [
          { month: '2023-01', loans: 11, returns: 20 },
          { month: '2023-02', loans: 1, returns: 1 },
        ],
        2_000,
      );
      expect([...second]).toEqual([['2023-01', FIRST_JANUARY]]);
      const third = await log.recordExport('fleet', [{ month: '2023-01', loans: 12, returns: 20 }], 3_000);
      expect([...third]).toEqual([['2023-01', FIRST_JANUARY]]);
      expect(await log.recordExport('district:望京', [{ month: '2023-01', loans: 1, returns: 2 }], 4_000)).toEqual(new Map());
    });

    test('looking up first exports records nothing', async () => {
      const log = await open();
      await log.recordExport('fleet', [{ month: '2023-01', loans: 10, returns: 20 }], 1_000);

      expect([...(await log.firstExports('fleet', ['2023-01', '2023-02']))]).toEqual([['2023-01', FIRST_JANUARY]]);
      expect(await log.firstExports('fleet', ['2023-02'])).toEqual(new Map());
      expect(await log.recordExport('fleet', [{ month: '2023-02', loans: 5, returns: 5 }], 2_000)).toEqual(new Map());
      expect(await log.firstExports('kiosk:CY-001', ['2023-01'])).toEqual(new Map());
    });

    test('empty lists record and find nothing', async () => {
      const log = await open();

      expect(await log.recordExport('fleet', [], 1_000)).toEqual(new Map());
      expect(await log.firstExports('fleet', [])).toEqual(new Map());
    });

    test('figures beyond 2^31 come back exactly', async () => {
      const log = await open();
      await log.recordExport('fleet', [{ month: '2023-01', loans: 3_000_000_000, returns: 1 }], 1_700_000_000_000);

      expect((await log.firstExports('fleet', ['2023-01'])).get('2023-01')).toEqual({
        figures: { loans: 3_000_000_000, returns: 1, total: 3_000_000_001 },
        exportedMs: 1_700_000_000_000,
      });
    });
  });
}
