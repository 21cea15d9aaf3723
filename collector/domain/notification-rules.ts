import { z } from 'zod';
import { type Severity, severitySchema } from '../../protocol/events.js';
import type { AlertComponent } from './alerts.js';

/** What happened to an alert, as notifiers see it. */
export const NOTICE_KINDS = ['opened', 'acknowledged', 'assigned', 'resolved', 'escalated'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** One alert change, flattened with what rules and messages need (machine, district, step). */
export interface AlertNoticeFacts {
  kind: NoticeKind;
  alertId: string;
  kioskId: string;
  kioskName: string;
  district: string | null;
  component: AlertComponent;
  severity: Severity;
  title: string;
  openedAtMs: number;
  deadlineAtMs: number;
  /** Escalations only: the step (1-based) and its share of the promise in percent. */
  step: number | null;
  percent: number | null;
  /** Who acted (acknowledged, assigned, resolved by hand); null for the machine or the platform. */
  by: string | null;
  atMs: number;
}

/**
 * Where notices come from: `alerts` about machines, `platform` about the platform itself (its
 * store, collector, notification channels, data it dropped; domain/platform-notices.ts).
 */
export const NOTICE_SOURCES = ['alerts', 'platform'] as const;
export type NoticeSource = (typeof NOTICE_SOURCES)[number];

/** Conditions on an alert's facts: a rule for platform notices only cannot have them. */
const ALERT_CONDITIONS = ['severities', 'districts', 'kinds', 'minStep'] as const;

/**
 * Which channels hear of what. Every condition given must hold; one left out matches anything.
 * `sources` defaults to alerts only, so a settings file written before platform notices existed
 * sends what it always sent; platform notices go only to rules that name them. `kinds` defaults to
 * opened, escalated and resolved (acknowledging and assigning are the crew's own doing and rarely
 * worth a message). Severities, districts, kinds and steps are alerts' facts and filter alerts only.
 */
export const notificationRuleSchema = z
  .strictObject({
    channels: z.array(z.string().min(1).max(64)).min(1),
    sources: z.array(z.enum(NOTICE_SOURCES)).min(1).optional(),
    severities: z.array(severitySchema).min(1).optional(),
    districts: z.array(z.string().min(1).max(100)).min(1).optional(),
    kinds: z.array(z.enum(NOTICE_KINDS)).min(1).optional(),
    /** Escalations from this step on (1 = the first, 50 %); other kinds are unaffected. */
    minStep: z.number().int().min(1).optional(),
  })
  .superRefine((rule, ctx) => {
    if (!rule.sources || rule.sources.includes('alerts')) return;
    for (const condition of ALERT_CONDITIONS) {
      if (rule[condition] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [condition],
          message: `${condition} filters alerts; this rule takes platform notices only`,
        });
    }
  });
export type NotificationRule = z.infer<typeof notificationRuleSchema>;

const DEFAULT_KINDS: readonly NoticeKind[] = ['opened', 'escalated', 'resolved'];
const DEFAULT_SOURCES: readonly NoticeSource[] = ['alerts'];

const takes = (rule: NotificationRule, source: NoticeSource) => (rule.sources ?? DEFAULT_SOURCES).includes(source);

function matches(rule: NotificationRule, notice: AlertNoticeFacts): boolean {
  if (!takes(rule, 'alerts')) return false;
  if (!(rule.kinds ?? DEFAULT_KINDS).includes(notice.kind)) return false;
  if (rule.severities && !rule.severities.includes(notice.severity)) return false;
  if (rule.districts && (notice.district === null || !rule.districts.includes(notice.district))) return false;
  if (rule.minStep !== undefined && notice.kind === 'escalated' && (notice.step ?? 0) < rule.minStep) return false;
  return true;
}

/** The channels a notice goes to: the union over every rule it matches. */
export function channelsFor(notice: AlertNoticeFacts, rules: readonly NotificationRule[]): string[] {
  return [...new Set(rules.filter((r) => matches(r, notice)).flatMap((r) => r.channels))];
}

/** The channels that hear of the platform itself: every rule naming `platform` in its sources. */
export function platformChannelsOf(rules: readonly NotificationRule[]): string[] {
  return [...new Set(rules.filter((r) => takes(r, 'platform')).flatMap((r) => r.channels))];
}

/** One message to send: one notice, or many of the same kind and step in one district (a power cut). */
export interface NotificationMessage {
  source: 'alerts';
  /** Stable for the same notices: a channel sends one message per alert and step. */
  id: string;
  kind: NoticeKind;
  step: number | null;
  percent: number | null;
  district: string | null;
  /** The highest of its notices'. */
  severity: Severity;
  notices: AlertNoticeFacts[];
}

const SEVERITY_RANK: Record<Severity, number> = { minor: 0, major: 1, critical: 2 };

/** The key under which a channel sends a notice once: an alert, a kind, a step. */
export const noticeKey = (n: AlertNoticeFacts): string => `${n.alertId}|${n.kind}|${n.step ?? ''}`;

/**
 * Notices gathered over a short window, grouped by kind, step and district: when many machines
 * fail at once (a district power cut), crews get one message listing them, not one per machine.
 */
export function groupNotices(notices: readonly AlertNoticeFacts[]): NotificationMessage[] {
  const groups = new Map<string, AlertNoticeFacts[]>();
  for (const notice of notices) {
    const key = `${notice.kind}|${notice.step ?? ''}|${notice.district ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), notice]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const sorted = [...group].sort((a, b) => a.kioskId.localeCompare(b.kioskId) || a.openedAtMs - b.openedAtMs);
    return {
      source: 'alerts' as const,
      id: sorted.map(noticeKey).join(','),
      kind: first.kind,
      step: first.step,
      percent: first.percent,
      district: first.district,
      severity: sorted.reduce<Severity>((max, n) => (SEVERITY_RANK[n.severity] > SEVERITY_RANK[max] ? n.severity : max), 'minor'),
      notices: sorted,
    };
  });
}
