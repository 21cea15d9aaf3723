import { Router, type Response } from 'express';
import { z } from 'zod';
import { createCalendar } from '../../time/calendar.js';
import { checkMonthRange } from '../../collector/domain/circulation.js';
import { REFERENCE_TARGETS } from '../../collector/domain/indicators.js';
import { DEFAULT_FAR_BELOW_RATIO } from '../../collector/domain/utilisation.js';
import { kioskIdSchema } from '../../protocol/index.js';
import { ApiError, parseOr400 } from '../api-error.js';
import { principalOf } from '../auth/guard.js';
import type { DashboardContext } from '../context.js';
import { toCsv } from '../exports/csv.js';
import type { ExportDocument } from '../exports/document.js';
import { circulationDocument, indicatorLabel, indicatorsDocument, utilisationDocument } from '../exports/report-documents.js';
import { toXlsx } from '../exports/xlsx.js';
import { produceCirculationReport } from '../reports/circulation-report.js';
import { indicatorTargetsSchema, type TargetsInForce } from '../reports/indicator-targets.js';
import { produceIndicatorReport } from '../reports/indicators-report.js';
import { districtKiosks, type ReportScope, scopeFileLabel } from '../reports/report-scope.js';
import { produceUtilisationReport } from '../reports/utilisation-report.js';
import { kioskLostView, totalLostView } from '../reports/lost-view.js';
import { type LostEstimator, lostEstimatorOf } from '../../collector/health/lost-to-downtime.js';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** `?kiosk=` (empty) is the same as no kiosk at all. */
const optional = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const month = z.string().regex(MONTH, 'must be a month YYYY-MM, e.g. 2023-01');
const output = {
  format: z.enum(['json', 'csv', 'xlsx']).default('json'),
  lang: z.enum(['en', 'zh']).default('en'),
};

const targetsPatch = indicatorTargetsSchema.partial();

/** Month ranges are checked once more as a whole (order, length), naming the field at fault. */
function refineMonthRange(query: { from: string; to: string }, ctx: z.RefinementCtx): void {
  // A field that is no month was reported by its own schema already: said once.
  if (!MONTH.test(query.from) || !MONTH.test(query.to)) return;
  const check = checkMonthRange(query.from, query.to);
  if (!check.ok) ctx.addIssue({ code: 'custom', path: [check.field], message: check.message });
}

const circulationQuery = z
  .strictObject({ from: month, to: month, kiosk: optional(kioskIdSchema), district: optional(z.string().max(100)), ...output })
  .superRefine((query, ctx) => {
    refineMonthRange(query, ctx);
    if (query.kiosk !== undefined && query.district !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['district'], message: 'give kiosk or district, not both' });
    }
  });

const utilisationQuery = z
  .strictObject({
    from: month,
    to: month,
    district: optional(z.string().max(100)),
    farBelow: z.coerce.number().gt(0).lt(1).default(DEFAULT_FAR_BELOW_RATIO),
    ...output,
  })
  .superRefine(refineMonthRange);

const indicatorsQuery = z.strictObject({
  year: z.coerce.number().int().min(2000).max(9998),
  /** Default: the library's target in force (GET /reports/targets). */
  circulationTarget: z.coerce.number().int().min(0).optional(),
  machinesTarget: z.coerce.number().int().min(0).optional(),
  ...output,
});

/**
 * Managers' reports: the monthly circulation table, the yearly indicators and utilisation per
 * machine, as JSON, CSV (UTF-8 with BOM) or XLSX. Every figure comes from the store's rollups.
 */
export function reportsRouter(ctx: DashboardContext): Router {
  const router = Router();
  const calendar = createCalendar(ctx.store.timeZone);
  const { exportLog } = ctx;
  const estimateLost: LostEstimator = lostEstimatorOf({
    health: ctx.fleetHealth.health,
    lending: ctx.fleetHealth.lending,
    calendar,
  });

  function resolveScope(query: { kiosk?: string | undefined; district?: string | undefined }): ReportScope {
    if (query.kiosk !== undefined) {
      if (!ctx.registry.get(query.kiosk) && !ctx.collector.fleet.get(query.kiosk)) {
        throw new ApiError(404, 'KIOSK_NOT_FOUND', `no kiosk with id ${query.kiosk}`);
      }
      return { kind: 'kiosk', kioskId: query.kiosk };
    }
    if (query.district !== undefined) {
      const kiosks = districtKiosks(ctx.registry.list(), query.district);
      if (kiosks.length === 0)
        throw new ApiError(404, 'DISTRICT_NOT_FOUND', `no machine is registered in district ${query.district}`);
      return { kind: 'district', district: kiosks[0]!.district, kioskIds: kiosks.map((k) => k.id) };
    }
    return { kind: 'fleet' };
  }

  router.get('/circulation', async (req, res) => {
    const q = parseOr400(circulationQuery, req.query, 'query');
    const scope = resolveScope(q);
    // A CSV or XLSX file is an export (what a manager files); a JSON read only shows the notes.
    const options = { nowMs: ctx.now(), isExport: q.format !== 'json' };
    const report = await produceCirculationReport({ store: ctx.store, calendar, exportLog }, scope, q.from, q.to, options);
    if (q.format === 'json') {
      res.json({
        report: 'circulation',
        scope,
        from: report.from,
        to: report.to,
        timeZone: report.timeZone,
        generatedAt: new Date(report.generatedMs).toISOString(),
        historyBegins: report.table.historyBegins,
        monthsWithData: report.table.monthsWithData,
        rows: report.table.rows,
        total: report.table.total,
        revisions: report.revisions.map(({ firstExportedMs, ...note }) => ({
          ...note,
          firstExportedAt: new Date(firstExportedMs).toISOString(),
        })),
      });
      return;
    }
    await sendDocument(
      res,
      q.format,
      circulationDocument(report, calendar, q.lang),
      `circulation_${scopeFileLabel(scope)}_${q.from}_${q.to}`,
    );
  });

  router.get('/indicators', async (req, res) => {
    const q = parseOr400(indicatorsQuery, req.query, 'query');
    const inForce = await ctx.indicatorTargets.read();
    const targets = {
      ...inForce.targets,
      ...(q.circulationTarget === undefined ? {} : { circulationPerYear: q.circulationTarget }),
      ...(q.machinesTarget === undefined ? {} : { machinesOperated: q.machinesTarget }),
    };
    const report = await produceIndicatorReport(
      { store: ctx.store, calendar, serviceMeasures: ctx.serviceMeasures, estimateLost },
      q.year,
      targets,
      ctx.now(),
    );
    if (q.format === 'json') {
      const { generatedMs, rows, lostToDowntime, ...rest } = report;
      res.json({
        report: 'indicators',
        ...rest,
        lostToDowntime: totalLostView(lostToDowntime),
        generatedAt: new Date(generatedMs).toISOString(),
        targets,
        targetsAreReference: inForce.isReference && q.circulationTarget === undefined && q.machinesTarget === undefined,
        indicators: rows.map(({ noteZh, ...row }) => ({
          ...row,
          note: q.lang === 'zh' ? noteZh : row.note,
          label: indicatorLabel(row.key, q.lang),
        })),
      });
      return;
    }
    await sendDocument(res, q.format, indicatorsDocument(report, calendar, q.lang), `indicators_${q.year}`);
  });

  router.get('/targets', async (_req, res) => {
    res.json(targetsView(await ctx.indicatorTargets.read()));
  });

  // Changes the targets given and keeps the others (a whole set is sent by the page).
  router.patch('/targets', async (req, res) => {
    const body = parseOr400(targetsPatch, req.body, 'body');
    const current = await ctx.indicatorTargets.read();
    res.json(targetsView(await ctx.indicatorTargets.save({ ...current.targets, ...body }, principalOf(res).name, ctx.now())));
  });

  router.get('/utilisation', async (req, res) => {
    const q = parseOr400(utilisationQuery, req.query, 'query');
    const scope = resolveScope(q);
    const parts = { store: ctx.store, calendar, kiosks: ctx.registry.list(), estimateLost };
    const report = await produceUtilisationReport(parts, scope, q.from, q.to, q.farBelow, ctx.now());
    if (q.format === 'json') {
      const { table, lostToDowntime } = report;
      const lostOf = new Map(lostToDowntime?.kiosks.map((k) => [k.kioskId, k]));
      res.json({
        report: 'utilisation',
        scope,
        from: report.from,
        to: report.to,
        timeZone: report.timeZone,
        generatedAt: new Date(report.generatedMs).toISOString(),
        medianPerServiceDay: table.medianPerServiceDay,
        farBelowRatio: table.farBelowRatio,
        machines: table.rows.map(({ service, ...row }) => ({
          ...row,
          name: report.names.get(row.kioskId)?.name ?? null,
          district: report.names.get(row.kioskId)?.district ?? null,
          serviceDays: service?.days ?? 0,
          serviceFrom: service?.fromDay ?? null,
          serviceUntil: service === null ? null : calendar.dayOf(calendar.startOfDay(service.toDay) - 1),
          lostToDowntime: kioskLostView(lostOf.get(row.kioskId)),
        })),
        lostToDowntime: totalLostView(lostToDowntime),
      });
      return;
    }
    await sendDocument(
      res,
      q.format,
      utilisationDocument(report, calendar, q.lang),
      `utilisation_${scopeFileLabel(scope)}_${q.from}_${q.to}`,
    );
  });

  return router;
}

/** The targets in force beside the reference network's, so a page can show where the library's differ. */
function targetsView(inForce: TargetsInForce) {
  return {
    targets: inForce.targets,
    reference: REFERENCE_TARGETS,
    isReference: inForce.isReference,
    updatedBy: inForce.updatedBy,
    updatedAt: inForce.updatedMs === null ? null : new Date(inForce.updatedMs).toISOString(),
  };
}

async function sendDocument(res: Response, format: 'csv' | 'xlsx', document: ExportDocument, baseName: string): Promise<void> {
  // res.attachment sends a UTF-8 filename* beside an ASCII fallback, so district names survive.
  res.attachment(`${baseName}.${format}`);
  if (format === 'csv') res.type('text/csv; charset=utf-8').send(toCsv(document));
  else res.type(XLSX_TYPE).send(await toXlsx(document));
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const reportsRequests = { circulationQuery, utilisationQuery, indicatorsQuery, targetsPatch };
