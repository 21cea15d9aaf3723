import { isMessageKey, type Lang, translate } from './i18n.js';
import type { KioskView } from './live/live-store.js';

type OpenFault = KioskView['openFaults'][number];
type Problem = { component: string; code: string };

const SEVERITY_RANK: Record<OpenFault['severity'], number> = { critical: 0, major: 1, minor: 2 };

/**
 * A fault as a person says it ("Return bin full"), not the vendor's code: the catalogue's codes
 * have words of their own, an unknown code falls back to its component's, then to the code.
 */
export function faultWords(lang: Lang, fault: Problem): string {
  const byCode = `fault_${fault.code}`;
  if (isMessageKey(byCode)) return translate(lang, byCode);
  const byComponent = `component_${fault.component}`;
  if (isMessageKey(byComponent)) return `${translate(lang, byComponent)} (${fault.code})`;
  return fault.code;
}

/** The fault that explains the machine's state best: one that blocks lending, then the most severe, then the oldest. */
export function leadingFault(kiosk: Pick<KioskView, 'openFaults'>): OpenFault | null {
  const sorted = [...kiosk.openFaults].sort(
    (a, b) =>
      Number(b.blocksLending) - Number(a.blocksLending) ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      (a.since ?? '').localeCompare(b.since ?? ''),
  );
  return sorted[0] ?? null;
}

/** Why the machine is in its state, in words, or null when no fault explains it. */
export function reasonOf(lang: Lang, kiosk: Pick<KioskView, 'openFaults'>): string | null {
  const fault = leadingFault(kiosk);
  return fault ? faultWords(lang, fault) : null;
}

/** "Out of service: Return bin full" (停止服务：还书箱已满), or the state alone. */
export function stateWithReason(lang: Lang, kiosk: Pick<KioskView, 'openFaults' | 'serviceState'>): string {
  const state = translate(lang, `state_${kiosk.serviceState}`);
  const reason = reasonOf(lang, kiosk);
  return reason === null ? state : translate(lang, 'stateBecause', { state, reason });
}
