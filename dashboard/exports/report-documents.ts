import type { Calendar } from '../../time/calendar.js';
import type { IndicatorKey, IndicatorRow } from '../../collector/domain/indicators.js';
import type { CirculationReport } from '../reports/circulation-report.js';
import type { IndicatorReport } from '../reports/indicators-report.js';
import type { ReportScope } from '../reports/report-scope.js';
import type { UtilisationReport } from '../reports/utilisation-report.js';
import type { ExportColumn, ExportDocument, ExportSection } from './document.js';
import { lostByMonthSections, lostOfYearSection } from './lost-sections.js';

/** The circulation, indicator and utilisation reports as export documents, in English or Chinese. */
export type ReportLanguage = 'en' | 'zh';

const int = (header: string, width = 14): ExportColumn => ({ header, kind: 'integer', width });
const text = (header: string, width = 14): ExportColumn => ({ header, kind: 'text', width });

/** An instant as local date-time with the fleet's offset: `2024-02-03 09:15:00 +08:00`. */
export function formatLocalTime(calendar: Calendar, epochMs: number): string {
  const offset = calendar.offsetMinutesAt(epochMs);
  const local = new Date(epochMs + offset * 60_000).toISOString().slice(0, 19).replace('T', ' ');
  const abs = Math.abs(offset);
  return `${local} ${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const LABELS = {
  en: {
    month: 'month',
    loans: 'loans',
    returns: 'returns',
    total: 'loans+returns',
    totalRow: 'total',
    revisions: 'revisions',
    previous: 'as first exported',
    current: 'now',
    difference: 'difference',
    firstExportedAt: 'first exported at',
    notes: 'notes',
    note: 'note',
    notComplete: (month: string) => `${month} is not over yet: its figures will still grow`,
    beforeHistory: (month: string, day: string | null) =>
      day === null ? `${month}: no data yet, nothing is recorded` : `${month}: no data yet, the history begins ${day}`,
    future: (month: string) => `${month} is in the future`,
    historyBegins: 'history begins',
    nothingRecorded: 'nothing recorded yet',
    about: 'about',
    item: 'item',
    value: 'value',
    scope: 'scope',
    fleet: 'whole fleet',
    district: 'district',
    kiosk: 'machine',
    from: 'from',
    to: 'to',
    timeZone: 'time zone',
    generatedAt: 'generated at',
    countedBy: 'counted by',
    countedByValue: 'when the loan or return happened, in local months',
  },
  zh: {
    month: '月份',
    loans: '借书总量',
    returns: '还书总量',
    total: '借还书总量',
    totalRow: '合计',
    revisions: '修订说明',
    previous: '首次导出',
    current: '现',
    difference: '差额',
    firstExportedAt: '首次导出时间',
    notes: '说明',
    // Not 说明 again: the section is titled so already.
    note: '事项',
    notComplete: (month: string) => `${month} 尚未结束，数字仍会增加`,
    beforeHistory: (month: string, day: string | null) =>
      day === null ? `${month}：暂无数据，尚无任何记录` : `${month}：暂无数据，记录始于 ${day}`,
    future: (month: string) => `${month} 尚未到来`,
    historyBegins: '记录起始日',
    nothingRecorded: '尚无记录',
    about: '报表信息',
    item: '项目',
    value: '内容',
    scope: '范围',
    fleet: '全部设备',
    district: '街道',
    kiosk: '设备',
    from: '起始月份',
    to: '截止月份',
    timeZone: '时区',
    generatedAt: '生成时间',
    countedBy: '统计口径',
    countedByValue: '按借还发生的当地月份统计',
  },
} as const;

function scopeLabel(scope: ReportScope, lang: ReportLanguage): string {
  const l = LABELS[lang];
  if (scope.kind === 'fleet') return l.fleet;
  return scope.kind === 'district' ? `${l.district} ${scope.district}` : `${l.kiosk} ${scope.kioskId}`;
}

/** The managers' table (月份, 借书总量, 还书总量, 借还书总量 and 合计), then revisions, notes and about. */
export function circulationDocument(report: CirculationReport, calendar: Calendar, lang: ReportLanguage): ExportDocument {
  const l = LABELS[lang];
  const { table } = report;
  const sections: ExportSection[] = [
    {
      title: lang === 'zh' ? '借还书统计' : 'circulation',
      columns: [text(l.month, 12), int(l.loans), int(l.returns), int(l.total)],
      // A month without data is blank, never a zero someone could file as measured.
      rows: table.rows.map((row) =>
        row.coverage === 'before_history' || row.coverage === 'future'
          ? [row.month, null, null, null]
          : [row.month, row.loans, row.returns, row.total],
      ),
      totalRow: [l.totalRow, table.total.loans, table.total.returns, table.total.total],
    },
  ];
  if (report.revisions.length > 0) {
    const figures = (prefix: string) => [int(`${prefix} ${l.loans}`), int(`${prefix} ${l.returns}`), int(`${prefix} ${l.total}`)];
    sections.push({
      title: l.revisions,
      columns: [
        text(l.month, 12),
        ...figures(l.previous),
        ...figures(l.current),
        ...figures(l.difference),
        text(l.firstExportedAt, 28),
      ],
      rows: report.revisions.map((r) => [
        r.month,
        r.previous.loans,
        r.previous.returns,
        r.previous.total,
        r.current.loans,
        r.current.returns,
        r.current.total,
        r.difference.loans,
        r.difference.returns,
        r.difference.total,
        formatLocalTime(calendar, r.firstExportedMs),
      ]),
    });
  }
  const notes = table.rows.flatMap((row) => {
    if (row.coverage === 'before_history') return [[l.beforeHistory(row.month, table.historyBegins)]];
    if (row.coverage === 'future') return [[l.future(row.month)]];
    return row.isComplete ? [] : [[l.notComplete(row.month)]];
  });
  if (notes.length > 0) sections.push({ title: l.notes, columns: [text(l.note, 60)], rows: notes });
  sections.push(
    aboutSection(lang, [
      [l.scope, scopeLabel(report.scope, lang)],
      [l.from, report.from],
      [l.to, report.to],
      [l.countedBy, l.countedByValue],
      [l.historyBegins, table.historyBegins ?? l.nothingRecorded],
      [l.timeZone, report.timeZone],
      [l.generatedAt, formatLocalTime(calendar, report.generatedMs)],
    ]),
  );
  return { sections, generatedMs: report.generatedMs };
}

function aboutSection(lang: ReportLanguage, items: [string, string][]): ExportSection {
  const l = LABELS[lang];
  return { title: l.about, columns: [text(l.item, 18), text(l.value, 48)], rows: items };
}

const INDICATOR_LABELS: Record<IndicatorKey, Record<ReportLanguage, string>> = {
  machinesOperated: { en: 'machines operated and maintained', zh: '运营维护设备数量' },
  circulation: { en: 'loans + returns in the year', zh: '全年借还书总量' },
  weeklyInspection: { en: 'machines inspected every week', zh: '每周巡检完成率' },
  availability24h: { en: '24-hour service availability', zh: '24小时服务可用率' },
  faultsRestoredWithin24h: { en: 'faults restored within 24 h', zh: '24小时内故障修复率' },
  reservationsDeliveredWithin72h: { en: 'reservations delivered within 72 h', zh: '72小时内预约送达率' },
};

const UNIT_LABELS: Record<IndicatorRow['unit'], Record<ReportLanguage, string>> = {
  machines: { en: 'machines', zh: '台' },
  'loans+returns': { en: 'loans+returns', zh: '册次' },
  ratio: { en: '%', zh: '%' },
};

export function indicatorLabel(key: IndicatorKey, lang: ReportLanguage): string {
  return INDICATOR_LABELS[key][lang];
}

/**
 * Ratios as percentages (97.5 for 0.975), so one numeric column holds every row's figure, to one
 * decimal (79.4, not 79.44664031620553): what a manager files.
 */
const PERCENT_DECIMALS = 1;
const roundTo = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;
const shown = (row: IndicatorRow, value: number | null) =>
  value === null ? null : row.unit === 'ratio' ? roundTo(value * 100, PERCENT_DECIMALS) : value;

function indicatorNote(row: IndicatorRow, lang: ReportLanguage): string {
  return lang === 'zh' ? row.noteZh : row.note;
}

export function indicatorsDocument(report: IndicatorReport, calendar: Calendar, lang: ReportLanguage): ExportDocument {
  const headers =
    lang === 'zh'
      ? ['指标', '单位', '目标', '实际', '是否达标', '说明']
      : ['indicator', 'unit', 'target', 'actual', 'met', 'note'];
  const met = (isMet: boolean | null) => (isMet === null ? '—' : lang === 'zh' ? (isMet ? '是' : '否') : isMet ? 'yes' : 'no');
  const l = LABELS[lang];
  return {
    generatedMs: report.generatedMs,
    sections: [
      {
        title: lang === 'zh' ? `${report.year}年绩效指标` : `indicators ${report.year}`,
        columns: [
          text(headers[0]!, 36),
          text(headers[1]!, 14),
          { header: headers[2]!, kind: 'number', width: 12 },
          { header: headers[3]!, kind: 'number', width: 12 },
          text(headers[4]!, 10),
          text(headers[5]!, 50),
        ],
        rows: report.rows.map((row) => [
          indicatorLabel(row.key, lang),
          UNIT_LABELS[row.unit][lang],
          shown(row, row.target),
          shown(row, row.actual),
          met(row.isMet),
          indicatorNote(row, lang),
        ]),
      },
      ...lostOfYearSection(report.lostToDowntime, lang),
      aboutSection(lang, [
        [lang === 'zh' ? '年度' : 'year', String(report.year)],
        ...(report.isComplete
          ? []
          : [[l.note, lang === 'zh' ? '本年度尚未结束' : 'the year is not over yet'] as [string, string]]),
        [l.timeZone, report.timeZone],
        [l.generatedAt, formatLocalTime(calendar, report.generatedMs)],
      ]),
    ],
  };
}

export function utilisationDocument(report: UtilisationReport, calendar: Calendar, lang: ReportLanguage): ExportDocument {
  const zh = lang === 'zh';
  const l = LABELS[lang];
  const headers = zh
    ? [
        '排名',
        '设备编号',
        '名称',
        '街道',
        '借书量',
        '还书量',
        '借还书总量',
        '在用天数',
        '日均借还量',
        '与中位数之比',
        '远低于中位数',
        '停机损失借还量（估计）',
        '90%区间下限',
        '90%区间上限',
      ]
    : [
        'rank',
        'kiosk',
        'name',
        'district',
        'loans',
        'returns',
        'loans+returns',
        'days in service',
        'per day in service',
        'ratio to median',
        'far below median',
        'estimated transactions lost to downtime',
        '90 % interval low',
        '90 % interval high',
      ];
  const { table } = report;
  const yes = zh ? '是' : 'yes';
  const lostOf = new Map(report.lostToDowntime?.kiosks.map((k) => [k.kioskId, k.total]));
  const rounded = (n: number | undefined) => (n === undefined ? null : Math.round(n));
  return {
    generatedMs: report.generatedMs,
    sections: [
      {
        title: zh ? '设备使用率' : 'utilisation',
        columns: [
          int(headers[0]!, 8),
          text(headers[1]!, 12),
          text(headers[2]!, 36),
          text(headers[3]!, 14),
          int(headers[4]!, 10),
          int(headers[5]!, 10),
          int(headers[6]!, 14),
          int(headers[7]!, 14),
          { header: headers[8]!, kind: 'decimal', width: 18 },
          { header: headers[9]!, kind: 'decimal', width: 16 },
          text(headers[10]!, 16),
          int(headers[11]!, 22),
          int(headers[12]!, 14),
          int(headers[13]!, 14),
        ],
        rows: table.rows.map((row) => [
          row.rank,
          row.kioskId,
          report.names.get(row.kioskId)?.name ?? null,
          report.names.get(row.kioskId)?.district ?? null,
          row.loans,
          row.returns,
          row.loansAndReturns,
          row.service?.days ?? 0,
          row.perServiceDay,
          row.ratioToMedian,
          row.isFarBelowMedian ? yes : '',
          rounded(lostOf.get(row.kioskId)?.expected),
          rounded(lostOf.get(row.kioskId)?.low),
          rounded(lostOf.get(row.kioskId)?.high),
        ]),
      },
      ...lostByMonthSections(report.lostToDowntime, lang),
      aboutSection(lang, [
        [l.scope, scopeLabel(report.scope, lang)],
        [l.from, report.from],
        [l.to, report.to],
        [
          zh ? '日均借还量中位数' : 'fleet median per day in service',
          table.medianPerServiceDay === null ? '—' : table.medianPerServiceDay.toFixed(2),
        ],
        [
          zh ? '标记阈值' : 'flagged below',
          zh ? `中位数的 ${table.farBelowRatio * 100}%` : `${table.farBelowRatio * 100} % of the median`,
        ],
        [
          zh ? '在用天数' : 'days in service',
          zh
            ? '从范围起始日、安装日期和首次上报日中最晚的一天起，到范围结束（不晚于今天）；备用或撤场设备到最后一次上报日止'
            : 'from the latest of the range start, the installation day and the first day heard from, to the range end (at most today); for reserve or withdrawn machines, to the last day heard from',
        ],
        [l.timeZone, report.timeZone],
        [l.generatedAt, formatLocalTime(calendar, report.generatedMs)],
      ]),
    ],
  };
}
