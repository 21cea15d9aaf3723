import { z } from 'zod';
import { OUTBOX_STATES } from '../../collector/notify/notification-outbox.js';
import { publicStatusSchema } from '../public-status.js';
import { emqxAnswer } from '../routes/emqx-hooks.js';

/**
 * The answers of the REST API v1, as the OpenAPI document describes them and its test checks them
 * against real calls. Each lists the fields an integrator may rely on; an answer may carry more
 * (objects are open), so adding a field is not a breaking change.
 */

const instant = z.iso.datetime({ offset: true });
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();
const obj = z.looseObject;

const indicatorTargets = obj({
  machinesOperated: z.number().int(),
  circulationPerYear: z.number().int(),
  weeklyInspectionRatio: z.number(),
  availabilityRatio: z.number(),
  faultsRestoredWithin24hRatio: z.number(),
  reservationsDeliveredWithin72hRatio: z.number(),
});
const targetsAnswer = obj({
  targets: indicatorTargets,
  reference: indicatorTargets,
  isReference: z.boolean(),
  updatedBy: nullable(z.string()),
  updatedAt: nullable(instant),
});

export const apiErrorAnswer = obj({
  error: obj({ code: z.string().describe('stable error code, e.g. INVALID_REQUEST'), message: z.string() }),
});

const signedIn = obj({
  user: obj({ username: z.string(), role: z.string(), displayName: z.string(), mustChangePassword: z.boolean() }),
  csrfToken: z.string().describe('send as X-CSRF-Token with every state-changing request of this session'),
});

const tokenView = obj({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  createdBy: z.string(),
  createdAt: instant,
  lastUsedAt: nullable(instant),
  revokedAt: nullable(instant),
});

const userView = obj({
  username: z.string(),
  displayName: z.string(),
  role: z.string(),
  mustChangePassword: z.boolean(),
  disabled: z.boolean(),
  createdAt: instant,
  updatedAt: instant,
});

const mqttCredentials = obj({
  url: z.string(),
  clientId: z.string(),
  username: z.string(),
  password: z.string().describe('the machine token: shown once'),
  topics: obj({ status: z.string(), events: z.string(), telemetry: z.string(), commands: z.string(), acks: z.string() }),
});

/** Time-weighted uptime over a window, and whether it rests on enough watching to be shown. */
const uptimeFigures = {
  expectedMs: z.number(),
  availableMs: z.number(),
  uptimeRatio: nullable(z.number()),
  enoughData: z.boolean().describe('false while watched too little of the window: show "not enough data", not uptimeRatio'),
};
/** Reader-side availability over a window, beside the technical uptime. */
const readerUptime = obj({
  expectedMs: z.number(),
  lendingMs: z.number(),
  returnsOnlyMs: z.number(),
  readerAvailabilityRatio: nullable(z.number()).describe('time lending ÷ time expected in service'),
  returnsOnlyRatio: nullable(z.number()),
});

/** What a machine's activity model still lacks: a code and numbers, put in words on the page. */
const historyShortfall = obj({
  code: z.enum(['TOO_FEW_HOURS', 'TOO_FEW_EVENTS']),
  have: z.number().describe('hours in service, or loans + returns, so far'),
  needed: z.number(),
});

/** Loans + returns lost to downtime: the estimate and its 90 % interval. */
const lostFigures = obj({
  expected: z.number().describe('estimated loans + returns lost to downtime'),
  low: z.number().describe('90 % interval'),
  high: z.number(),
  downtimeHours: z.number(),
});
const totalLost = lostFigures.extend({
  byMonth: z.array(lostFigures.extend({ month: z.string() })),
  kiosksWithoutEstimate: z.number().int().describe('machines with downtime but too little history for an estimate'),
});

const kioskView = obj({
  id: z.string(),
  name: z.string(),
  district: z.string(),
  lat: z.number(),
  lon: z.number(),
  lifecycle: z.string(),
  serviceState: z.string(),
  connection: z.string(),
  lastSeen: nullable(instant),
  openFaults: z.array(obj({ faultId: z.string(), component: z.string(), code: z.string(), severity: z.string() })),
  today: obj({ day: z.string(), loans: z.number().int(), returns: z.number().int() }),
});

const windowView = obj({ spec: z.string(), from: instant, to: instant, timeZone: z.string() });

const commandView = obj({
  id: z.string(),
  kioskId: z.string(),
  type: z.string(),
  reason: z.string(),
  by: z.string(),
  sentAt: instant,
  status: z.string(),
});

const alertView = obj({
  id: z.string(),
  kioskId: z.string(),
  state: z.string(),
  title: z.string(),
  component: z.string(),
  severity: z.string(),
  openedAt: instant,
  acknowledged: nullable(obj({ by: z.string(), at: instant })),
  assignee: nullable(obj({ name: z.string(), by: z.string(), at: instant })),
  resolved: nullable(obj({ at: instant, how: z.string() })),
  response: obj({ promiseHours: z.number(), deadline: instant }),
  history: z.array(obj({ at: instant, action: z.string() })),
});

const inspectionView = obj({
  id: z.string(),
  kioskId: z.string(),
  inspectedAt: instant,
  week: z.string(),
  inspector: z.string(),
  result: z.enum(['pass', 'issues_found', 'fail']),
});

const reservationView = obj({
  reservationId: z.string(),
  destination: obj({ kind: z.enum(['kiosk', 'home']) }),
  state: z.string(),
  outcome: z.string(),
  createdAt: instant,
  deadline: instant,
  delivery: nullable(obj({ at: instant, by: z.string() })),
  pickedUpAt: nullable(instant),
  cancelled: nullable(obj({ at: instant })),
});

const outboxEntry = obj({
  id: z.number().int(),
  channel: z.string(),
  state: z.enum(OUTBOX_STATES),
  source: z.string(),
  createdAt: instant,
  attempts: z.number().int(),
  lastError: nullable(z.string()),
  doneAt: nullable(instant),
  doneBy: nullable(z.string()),
});

const monthFigures = obj({
  month: z.string(),
  loans: z.number().int(),
  returns: z.number().int(),
  total: z.number().int(),
  isComplete: z.boolean(),
});

/** The answer of each route's success, by `METHOD /path` as in the access matrix. */
export const ANSWERS = {
  'POST /api/v1/auth/login': signedIn,
  'GET /api/v1/health/live': obj({ status: z.literal('ok') }),
  'POST /api/v1/emqx/authenticate': emqxAnswer,
  'POST /api/v1/emqx/authorize': emqxAnswer,
  'GET /api/v1/openapi.json': obj({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }),
  'GET /api/v1/public/status': publicStatusSchema,
  'GET /api/v1/auth/me': signedIn,
  'GET /api/v1/auth/tokens': obj({ tokens: z.array(tokenView) }),
  'POST /api/v1/auth/tokens': obj({ token: tokenView, secret: z.string().describe('shown once') }),
  'GET /api/v1/users': obj({ users: z.array(userView) }),
  'GET /api/v1/assignees': obj({ people: z.array(obj({ username: z.string(), displayName: z.string() })) }),
  'POST /api/v1/users': obj({ user: userView }),
  'PATCH /api/v1/users/:username': obj({ user: userView }),
  'GET /api/v1/audit': obj({
    entries: z.array(
      obj({ at: instant, actor: z.string(), action: z.string(), target: nullable(z.string()), outcome: z.string() }),
    ),
  }),
  'GET /api/v1/health': obj({
    status: z.enum(['ok', 'degraded', 'down']),
    time: instant,
    components: z.record(z.string(), obj({ state: z.string(), detail: z.string() })),
    ingest: obj({ messagesIn: z.number().int(), eventsStored: z.number().int(), deadLetters: z.number().int() }),
  }),
  'POST /api/v1/kiosks': obj({ kiosk: obj({ id: z.string(), name: z.string(), district: z.string() }), mqtt: mqttCredentials }),
  'GET /api/v1/kiosks': obj({ kiosks: z.array(kioskView), count: z.number().int() }),
  'GET /api/v1/kiosks/:id': obj({ kiosk: kioskView }),
  'GET /api/v1/kiosks/:id/activity': obj({
    kioskId: z.string(),
    hourStart: instant,
    usualThisHour: nullable(z.number()),
    seenThisHour: z.number().int(),
    insufficientHistory: nullable(historyShortfall).describe('why there is no expectation yet (too little history), or null'),
    notLending: z.union([
      z.literal(false),
      z.null(),
      obj({ since: instant, detectedAt: instant, expected: z.number(), seen: z.number() }),
    ]),
  }),
  'POST /api/v1/kiosks/:id/public-status': obj({ kioskId: z.string(), hiddenFromStatusPage: z.boolean() }),
  'GET /api/v1/kiosks/:id/history/telemetry': obj({
    kioskId: z.string(),
    hours: z.number(),
    readings: z.array(obj({ ts: instant }).catchall(z.union([z.number(), z.string()]))),
  }),
  'GET /api/v1/kiosks/:id/history/circulation': obj({
    kioskId: z.string(),
    timeZone: z.string(),
    days: z.array(obj({ day: z.string(), loans: z.number().int(), returns: z.number().int(), total: z.number().int() })),
    months: z.array(monthFigures),
  }),
  'GET /api/v1/fleet': obj({
    now: instant,
    timeZone: z.string(),
    today: z.string(),
    month: z.string(),
    circulation: obj({ month: monthFigures, yearTarget: z.number() }),
    readerAvailability: obj({ today: nullable(z.number()), month: nullable(z.number()) }).describe(
      'share of the expected time machines were lending to readers',
    ),
    readerNow: obj({ lending: z.number().int(), returns_only: z.number().int(), closed: z.number().int() }),
  }),
  'GET /api/v1/events': obj({
    events: z.array(obj({ id: z.string(), kioskId: z.string(), type: z.string(), ts: z.string() })),
    next: nullable(z.string()).describe('cursor of the next page (`after`), null on the last'),
  }),
  'GET /api/v1/dead-letters': obj({
    deadLetters: z.array(obj({ receivedAt: instant, topic: z.string(), reason: z.string() })),
    total: z.number().int(),
    next: nullable(z.union([z.string(), z.number()])),
  }),
  'GET /api/v1/uptime': obj({
    window: windowView,
    rules: z.array(z.string()),
    fleet: obj({ ...uptimeFigures, reader: readerUptime }),
    kiosks: z.array(obj({ kioskId: z.string(), ...uptimeFigures, reader: readerUptime })),
  }),
  'GET /api/v1/uptime/timeline': obj({
    kioskId: z.string(),
    window: windowView,
    intervals: z.array(obj({ state: z.string(), from: instant, to: instant })),
  }),
  'GET /api/v1/fault-response': obj({
    promiseHours: z.number(),
    rules: z.array(z.string()),
    months: z.array(obj({ month: z.string(), alertsOpened: z.number().int(), restored: z.number().int() })),
  }),
  'GET /api/v1/reliability': obj({
    window: windowView,
    kiosks: z.array(obj({ kioskId: z.string(), failures: z.number().int(), mtbfHours: nullable(z.number()) })),
    byComponent: z.array(obj({ component: z.string(), failures: z.number().int() })),
  }),
  'GET /api/v1/notifications': obj({
    isConfigured: z.boolean(),
    isSender: z.boolean(),
    channels: z.array(obj({ name: z.string() })),
  }),
  'GET /api/v1/notifications/outbox': obj({ entries: z.array(outboxEntry) }),
  'POST /api/v1/notifications/channels/:name/test': obj({ entry: outboxEntry }),
  'POST /api/v1/notifications/outbox/:id/give-up': obj({ entry: outboxEntry }),
  'POST /api/v1/notifications/outbox/:id/retry': obj({ entry: outboxEntry }),
  'POST /api/v1/kiosks/:id/token': obj({ mqtt: mqttCredentials }),
  'POST /api/v1/kiosks/:id/revoke': obj({ kioskId: z.string(), revoked: z.boolean() }),
  'GET /api/v1/kiosks/:id/commands': obj({ commands: z.array(commandView) }),
  'POST /api/v1/kiosks/:id/commands': obj({ command: commandView, lifecycle: nullable(z.string()) }),
  'GET /api/v1/kiosks/:id/maintenance': obj({
    windows: z.array(obj({ windowId: z.string(), from: instant, to: instant, by: z.string(), reason: z.string() })),
  }),
  'POST /api/v1/kiosks/:id/maintenance': obj({
    window: obj({ windowId: z.string(), from: instant, to: instant, by: z.string(), reason: z.string() }),
  }),
  'GET /api/v1/alerts': obj({ alerts: z.array(alertView), count: z.number().int() }),
  'GET /api/v1/alerts/:id': obj({ alert: alertView }),
  'POST /api/v1/alerts/:id/ack': obj({ alert: alertView }),
  'POST /api/v1/alerts/:id/assign': obj({ alert: alertView }),
  'POST /api/v1/alerts/:id/comment': obj({ alert: alertView }),
  'POST /api/v1/alerts/:id/resolve': obj({ alert: alertView }),
  'GET /api/v1/inspections': obj({
    week: z.string(),
    expected: z.number().int(),
    complianceRatio: nullable(z.number()),
    done: z.array(obj({ kioskId: z.string(), inspections: z.array(inspectionView) })),
    due: z.array(z.string()),
    overdue: z.array(z.string()),
  }),
  'GET /api/v1/inspections/compliance': obj({
    from: z.string(),
    to: z.string(),
    weeks: z.array(obj({ week: z.string(), expected: z.number().int(), inspected: z.number().int() })),
    months: z.array(obj({ month: z.string(), expected: z.number().int(), inspected: z.number().int() })),
  }),
  'GET /api/v1/inspections/history': obj({ from: z.string(), to: z.string(), inspections: z.array(inspectionView) }),
  'POST /api/v1/inspections': obj({ inspection: inspectionView, isNew: z.boolean() }),
  'GET /api/v1/reservations': obj({ reservations: z.array(reservationView), count: z.number().int(), slaHours: z.number() }),
  'GET /api/v1/reservations/on-time': obj({
    timeZone: z.string(),
    slaHours: z.number(),
    byMonth: z.array(
      obj({ month: z.string(), created: z.number().int(), onTime: z.number().int(), onTimeRatio: nullable(z.number()) }),
    ),
  }),
  'GET /api/v1/reservations/:id': obj({ reservation: reservationView }),
  'POST /api/v1/reservations': obj({ reservation: reservationView, isNew: z.boolean() }),
  'POST /api/v1/reservations/:id/delivered': obj({ reservation: reservationView, isNew: z.boolean() }),
  'POST /api/v1/reservations/:id/picked-up': obj({ reservation: reservationView, isNew: z.boolean() }),
  'POST /api/v1/reservations/:id/cancel': obj({ reservation: reservationView, isNew: z.boolean() }),
  'GET /api/v1/reports/circulation': obj({
    report: z.literal('circulation'),
    from: z.string(),
    to: z.string(),
    timeZone: z.string(),
    historyBegins: nullable(z.string()).describe('local day of the first event recorded for the scope; null when none is'),
    monthsWithData: z.number().int().describe('months the total stands for: measured and running ones'),
    rows: z.array(
      monthFigures.extend({
        coverage: z
          .enum(['before_history', 'measured', 'running', 'future'])
          .describe('before_history and future months hold no data: their zeros are no measurement'),
      }),
    ),
    total: obj({ loans: z.number().int(), returns: z.number().int(), total: z.number().int() }),
    revisions: z.array(obj({ month: z.string() })),
  }),
  'GET /api/v1/reports/indicators': obj({
    report: z.literal('indicators'),
    year: z.number().int(),
    targets: indicatorTargets,
    targetsAreReference: z.boolean(),
    circulationPace: nullable(z.number().int()).describe(
      'loans + returns due by now at an even pace to the target; null unless the year runs',
    ),
    indicators: z.array(
      obj({ key: z.string(), unit: z.string(), target: z.number(), actual: nullable(z.number()), isMet: nullable(z.boolean()) }),
    ),
    lostToDowntime: nullable(totalLost).describe('null when fleet health does not run'),
  }),
  'GET /api/v1/reports/targets': targetsAnswer,
  'PATCH /api/v1/reports/targets': targetsAnswer,
  'GET /api/v1/reports/utilisation': obj({
    report: z.literal('utilisation'),
    from: z.string(),
    to: z.string(),
    machines: z.array(
      obj({
        kioskId: z.string(),
        loans: z.number().int(),
        returns: z.number().int(),
        lostToDowntime: nullable(
          obj({
            expected: nullable(z.number()),
            low: nullable(z.number()),
            high: nullable(z.number()),
            byMonth: z.array(lostFigures.extend({ month: z.string() })),
            insufficientHistory: nullable(historyShortfall).describe('why there is no estimate'),
          }),
        ),
      }),
    ),
    lostToDowntime: nullable(totalLost).describe('null when fleet health does not run'),
  }),
} as const satisfies Record<string, z.ZodType>;
