import { stringify } from 'csv-stringify/sync';
import type { CellValue, ExportDocument, ExportSection } from './document.js';

/**
 * Text a spreadsheet would run as a formula or command (OWASP "CSV injection"): a cell starting
 * with =, +, -, @, a tab or a carriage return, or the full-width forms Apple Numbers normalises.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function isFormulaLike(text: string): boolean {
  return FORMULA_START.test(text);
}

function sectionRecords(section: ExportSection, isFirst: boolean): CellValue[][] {
  return [
    ...(isFirst ? [] : [[], [section.title]]),
    section.columns.map((c) => c.header),
    ...section.rows,
    ...(section.totalRow ? [section.totalRow] : []),
  ];
}

/**
 * CSV that Excel opens correctly: UTF-8 with a BOM (else Excel reads Chinese as ANSI), RFC 4180
 * quoting and CRLF line ends. Text that could run as a formula is prefixed with `'` and quoted;
 * numbers stay numbers, negative ones included.
 */
export function toCsv(document: ExportDocument): Buffer {
  const records = document.sections.flatMap((section, index) => sectionRecords(section, index === 0));
  const text = stringify(records, {
    bom: true,
    record_delimiter: 'windows',
    escape_formulas: true,
    cast: {
      string: (value) => (isFormulaLike(value) ? { value, quoted: true } : value),
      number: (value) => String(value),
    },
  });
  return Buffer.from(text, 'utf8');
}
