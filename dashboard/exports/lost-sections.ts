import type { IndicatorReport } from '../reports/indicators-report.js';
import type { UtilisationReport } from '../reports/utilisation-report.js';
import type { ExportColumn, ExportSection } from './document.js';

/**
 * The sections of loans + returns lost to downtime (collector/health/lost-to-downtime.ts) in the
 * utilisation and indicator exports. Estimates are rounded to whole transactions: a manager files
 * "about 120", not 119.73.
 */
type ReportLanguage = 'en' | 'zh';

const int = (header: string, width = 14): ExportColumn => ({ header, kind: 'integer', width });
const text = (header: string, width = 14): ExportColumn => ({ header, kind: 'text', width });

const LOST_LABELS = {
  en: {
    title: 'lost to downtime',
    kiosk: 'kiosk',
    month: 'month',
    expected: 'estimated transactions lost to downtime',
    low: '90 % interval low',
    high: '90 % interval high',
    hours: 'hours of downtime',
    total: 'total',
    notes: 'notes on lost transactions',
    note: 'note',
    method:
      'estimated: what each machine usually does in those hours (learnt from its own history) over the time it was out of service, offline, paused or in service but not lending; 90 % interval; machines with too little history have no estimate',
  },
  zh: {
    title: '停机损失',
    kiosk: '设备编号',
    month: '月份',
    expected: '停机损失借还量（估计）',
    low: '90%区间下限',
    high: '90%区间上限',
    hours: '停机小时数',
    total: '合计',
    notes: '停机损失说明',
    note: '事项',
    method:
      '估计值：按每台设备自身历史中该时段的通常借还量，计算其故障停用、离线、暂停或在线但无法借书期间的损失；90%区间；历史不足的设备不作估计',
  },
} as const;

/** Loans + returns lost to downtime per machine and month (when there are machines to list), with how it is estimated. */
export function lostByMonthSections(lost: UtilisationReport['lostToDowntime'], lang: ReportLanguage): ExportSection[] {
  if (!lost) return [];
  const l = LOST_LABELS[lang];
  const hours = (ms: number) => Math.round((ms / 3_600_000) * 10) / 10;
  return [
    {
      title: l.title,
      columns: [
        text(l.kiosk, 12),
        text(l.month, 10),
        int(l.expected, 22),
        int(l.low, 14),
        int(l.high, 14),
        { header: l.hours, kind: 'decimal', width: 14 },
      ],
      rows: lost.kiosks.flatMap((k) =>
        k.byMonth.map((m) => [
          k.kioskId,
          m.month,
          Math.round(m.expected),
          Math.round(m.low),
          Math.round(m.high),
          hours(m.downtimeMs),
        ]),
      ),
      totalRow: [
        l.total,
        '',
        Math.round(lost.total.expected),
        Math.round(lost.total.low),
        Math.round(lost.total.high),
        hours(lost.total.downtimeMs),
      ],
    },
    { title: l.notes, columns: [text(l.note, 80)], rows: [[l.method]] },
  ];
}

/** The fleet's loans + returns lost to downtime in the year, by month. */
export function lostOfYearSection(lost: IndicatorReport['lostToDowntime'], lang: ReportLanguage): ExportSection[] {
  if (!lost) return [];
  const l = LOST_LABELS[lang];
  return [
    {
      title: l.title,
      columns: [text(l.month, 10), int(l.expected, 22), int(l.low, 14), int(l.high, 14)],
      rows: lost.byMonth.map((m) => [m.month, Math.round(m.expected), Math.round(m.low), Math.round(m.high)]),
      totalRow: [l.total, Math.round(lost.total.expected), Math.round(lost.total.low), Math.round(lost.total.high)],
    },
  ];
}
