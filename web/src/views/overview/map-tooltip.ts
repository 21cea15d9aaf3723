import { escapeHtml } from '../../escape-html.js';

/** A machine's map tooltip: ECharts renders it as HTML, so the registry's id and name go in as text. */
export function mapTooltipOf(id: string, name: string): string {
  return `${escapeHtml(id)}<br/>${escapeHtml(name)}`;
}
