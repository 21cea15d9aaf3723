import type { Severity } from '../../protocol/events.js';
import type { AlertNoticeFacts, NoticeKind, NotificationMessage } from './notification-rules.js';

/** The languages of messages: Chinese (the fleet's crews) by default, English per channel. */
export type TextLanguage = 'zh' | 'en';

/** What the words of a message depend on besides the message: pure, the caller passes the time in. */
export interface TextOptions {
  language: TextLanguage;
  nowMs: number;
  /** A local time with its zone: `2026-11-22 08:30 GMT+8`. */
  formatTime: (ms: number) => string;
  /** The link to the alert's page in the dashboard as the channel writes it (markdown or plain), when PUBLIC_URL is set. */
  alertLink: ((alertId: string) => string) | null;
}

const HEADLINES: Record<TextLanguage, Record<NoticeKind, string>> = {
  en: {
    opened: 'New alert',
    acknowledged: 'Alert acknowledged',
    assigned: 'Alert assigned',
    resolved: 'Alert resolved',
    escalated: 'Alert not acknowledged',
  },
  zh: {
    opened: '新告警',
    acknowledged: '告警已确认',
    assigned: '告警已指派',
    resolved: '告警已解决',
    escalated: '告警未确认',
  },
};

const SEVERITIES: Record<TextLanguage, Record<Severity, string>> = {
  en: { critical: 'critical', major: 'major', minor: 'minor' },
  zh: { critical: '严重', major: '重要', minor: '一般' },
};

const MINUTE_MS = 60_000;

/** `5 h 12 min` / `5 小时 12 分`: whole minutes, rounded down (a deadline is never shown further off). */
export function durationText(ms: number, language: TextLanguage): string {
  const minutes = Math.floor(Math.max(0, ms) / MINUTE_MS);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (language === 'zh') return h > 0 ? `${h} 小时 ${m} 分` : `${m} 分钟`;
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

/** The time left on the response promise: `19 h 5 min left` / `剩余 19 小时 5 分`, or how far it is overdue. */
export function timeLeftText(deadlineMs: number, nowMs: number, language: TextLanguage): string {
  const left = deadlineMs - nowMs;
  if (left >= 0) return language === 'zh' ? `剩余 ${durationText(left, language)}` : `${durationText(left, language)} left`;
  return language === 'zh' ? `已超时 ${durationText(-left, language)}` : `overdue by ${durationText(-left, language)}`;
}

/** `(delayed 12 min)` / `（延迟 12 分钟）` on a message sent a minute or more after it was recorded; '' before. */
export function delayText(delayedMs: number, language: TextLanguage): string {
  const minutes = Math.floor(delayedMs / MINUTE_MS);
  if (minutes < 1) return '';
  return language === 'zh' ? `（延迟 ${minutes} 分钟）` : `(delayed ${minutes} min)`;
}

/** A message's headline: `[critical] New alert - 3 machines in Wangjing` / `[严重] 新告警 - 望京 3 台机器`. */
export function headlineText(message: NotificationMessage, language: TextLanguage): string {
  const count = message.notices.length;
  const first = message.notices[0]!;
  const severity = SEVERITIES[language][message.severity];
  const headline = HEADLINES[language][message.kind];
  if (language === 'zh') {
    const where = message.district ? `${message.district} ` : '';
    const what = count === 1 ? `${first.kioskId}：${first.title}` : `${where}${count} 台机器`;
    const step = message.kind === 'escalated' ? `（已过响应时限的 ${message.percent} %）` : '';
    return `[${severity}] ${headline}${step} - ${what}`;
  }
  const where = message.district ? ` in ${message.district}` : '';
  const what = count === 1 ? `${first.kioskId}: ${first.title}` : `${count} machines${where}`;
  const step = message.kind === 'escalated' ? ` (${message.percent} % of the response promise passed)` : '';
  return `[${severity}] ${headline}${step} - ${what}`;
}

/**
 * One alert's line: machine, problem, severity, when it opened, the time left on the promise
 * (not for a resolved alert), who acted, and its link.
 */
export function noticeLineText(n: AlertNoticeFacts, options: TextOptions): string {
  const { language: lang, formatTime } = options;
  const zh = lang === 'zh';
  const where = n.district ? (zh ? `（${n.district}）` : ` (${n.district})`) : '';
  const parts = [
    `${SEVERITIES[lang][n.severity]}`,
    zh ? `${formatTime(n.openedAtMs)} 发生` : `opened ${formatTime(n.openedAtMs)}`,
  ];
  if (n.kind !== 'resolved') {
    const deadline = zh ? `时限 ${formatTime(n.deadlineAtMs)}` : `deadline ${formatTime(n.deadlineAtMs)}`;
    parts.push(`${deadline}, ${timeLeftText(n.deadlineAtMs, options.nowMs, lang)}`);
  }
  if (n.by) parts.push(zh ? `处理人 ${n.by}` : `by ${n.by}`);
  const link = options.alertLink ? ` ${options.alertLink(n.alertId)}` : '';
  return `${n.kioskId} ${n.kioskName}${where}${zh ? '：' : ': '}${n.title}, ${parts.join(', ')}${link}`;
}

/** `… and 7 more` / `……另有 7 台`: what a message cut for size left out, counted exactly. */
export function moreText(count: number, language: TextLanguage): string {
  return language === 'zh' ? `……另有 ${count} 台` : `… and ${count} more`;
}

/** The words of a test message. */
export function testText(requestedBy: string, atMs: number, options: Pick<TextOptions, 'language' | 'formatTime'>) {
  return options.language === 'zh'
    ? { headline: '测试消息 - kiosk-fleet', line: `由 ${requestedBy} 于 ${options.formatTime(atMs)} 发送：此渠道可以收到告警。` }
    : {
        headline: 'Test message - kiosk-fleet',
        line: `Sent by ${requestedBy} at ${options.formatTime(atMs)}: this channel receives alerts.`,
      };
}
