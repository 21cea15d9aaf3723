import { Router } from 'express';
import { z } from 'zod';
import type { Inspection } from '../../collector/domain/inspections.js';
import { checklistSchema } from '../../protocol/checklist.js';
import { addIsoWeeks, isIsoWeek, isoWeeksBetween } from '../../time/iso-week.js';
import type { InspectionService } from '../../collector/promises/inspection-service.js';
import { kioskIdSchema } from '../../protocol/index.js';
import { ApiError, parseOr400 } from '../api-error.js';
import type { DashboardContext } from '../context.js';
import { toApiError } from '../refusal-status.js';
import { principalOf } from '../auth/guard.js';

const week = z.string().refine(isIsoWeek, 'must be an ISO week that exists, e.g. 2026-W47');
const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
/** Longest range of weeks one question may span (five years). */
const MAX_WEEKS = 262;
const DEFAULT_WEEKS = 12;

const weekQuery = z.strictObject({ week: week.optional() });
const rangeQuery = z.strictObject({ from: week.optional(), to: week.optional(), kiosk: kioskIdSchema.optional() });

const inspectionBody = z.strictObject({
  kioskId: kioskIdSchema,
  inspector: z.string().trim().min(1).max(64),
  result: z.enum(['pass', 'issues_found', 'fail']),
  checklist: checklistSchema.optional(),
  notes: z.string().max(1000).optional(),
  /** Default: now. */
  inspectedAt: instant.optional(),
});

const iso = (ms: number) => new Date(ms).toISOString();

const inspectionView = (i: Inspection) => ({
  id: i.id,
  kioskId: i.kioskId,
  inspectedAt: iso(i.inspectedAtMs),
  week: i.week,
  inspector: i.inspector,
  result: i.result,
  checklist: i.checklist,
  notes: i.notes,
  source: i.recordedBy === null ? 'machine' : 'api',
  recordedBy: i.recordedBy,
});

function weekRange(
  service: InspectionService,
  q: { from?: string | undefined; to?: string | undefined },
): { from: string; to: string } {
  const to = q.to ?? service.currentWeek();
  const from = q.from ?? addIsoWeeks(to, -(DEFAULT_WEEKS - 1));
  const count = isoWeeksBetween(from, to).length;
  if (count === 0) throw new ApiError(400, 'INVALID_REQUEST', 'invalid query: from: must not be after to');
  if (count > MAX_WEEKS)
    throw new ApiError(400, 'INVALID_REQUEST', `invalid query: from: a range spans at most ${MAX_WEEKS} weeks`);
  return { from, to };
}

/** The weekly inspection promise: a week's done / due / overdue machines, compliance, history. */
export function inspectionsRouter(ctx: DashboardContext): Router {
  const router = Router();

  router.get('/', (req, res) => {
    const q = parseOr400(weekQuery, req.query, 'query');
    const report = ctx.inspections.weekReport(q.week);
    res.json({
      week: report.week,
      startsAt: iso(report.startsAtMs),
      endsAt: iso(report.endsAtMs),
      timeZone: ctx.store.timeZone,
      isComplete: report.isComplete,
      expected: report.expected,
      complianceRatio: report.complianceRatio,
      done: report.done.map((d) => ({ kioskId: d.kioskId, inspections: d.inspections.map(inspectionView) })),
      due: report.due,
      overdue: report.overdue,
      notRequired: report.notRequired.map((n) => ({
        kioskId: n.kioskId,
        lifecycle: n.lifecycle,
        inspections: n.inspections.map(inspectionView),
      })),
    });
  });

  router.get('/compliance', (req, res) => {
    const q = parseOr400(rangeQuery.omit({ kiosk: true }), req.query, 'query');
    const { from, to } = weekRange(ctx.inspections, q);
    res.json({ from, to, ...ctx.inspections.compliance(from, to) });
  });

  router.get('/history', (req, res) => {
    const q = parseOr400(rangeQuery, req.query, 'query');
    const { from, to } = weekRange(ctx.inspections, q);
    const history = ctx.inspections.history(from, to, q.kiosk);
    res.json({
      from,
      to,
      ...(q.kiosk ? { kioskId: q.kiosk } : {}),
      ...history,
      inspections: history.inspections.map(inspectionView),
    });
  });

  router.post('/', async (req, res) => {
    const body = parseOr400(inspectionBody, req.body, 'body');
    try {
      const { inspection, isNew } = await ctx.inspections.record({
        kioskId: body.kioskId,
        inspector: body.inspector,
        result: body.result,
        checklist: body.checklist,
        notes: body.notes,
        inspectedAtMs: body.inspectedAt ?? ctx.now(),
        by: principalOf(res).name,
      });
      res.status(isNew ? 201 : 200).json({ inspection: inspectionView(inspection), isNew });
    } catch (error) {
      throw toApiError(error);
    }
  });

  return router;
}

/** The request schemas, for the OpenAPI document (dashboard/openapi/). */
export const inspectionsRequests = { weekQuery, rangeQuery, inspectionBody };
