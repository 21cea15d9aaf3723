import { escapeHtml } from '../../escape-html.js';

/**
 * A machine's map tooltip: id, name, and its state with the reason in words. ECharts renders it as
 * HTML, so the registry's id and name go in as text.
 */
export function mapTooltipOf(id: string, name: string, state: string): string {
  return `<strong>${escapeHtml(id)}</strong><br/>${escapeHtml(name)}<br/>${escapeHtml(state)}`;
}
