/**
 * A report as rows and typed columns, written the same way to CSV and XLSX. The first section is
 * the table itself; later ones (revision notes, how the figures were measured) follow it: after a
 * blank line in CSV, on their own sheets in XLSX.
 */
export type CellValue = string | number | null;

export interface ExportColumn {
  header: string;
  /**
   * Numbers stay numbers in both formats. XLSX shows `integer` as 1,234, `decimal` as 0.00, `ratio`
   * (a share 0–1) as a percentage and `number` as Excel's General.
   */
  kind: 'text' | 'integer' | 'decimal' | 'ratio' | 'number';
  /** Width in characters in XLSX. */
  width?: number;
}

export interface ExportSection {
  /** The sheet name in XLSX and the section's first line in CSV (not written for the first section). */
  title: string;
  columns: ExportColumn[];
  rows: CellValue[][];
  /** Written last, set apart (bold in XLSX). */
  totalRow?: CellValue[];
}

export interface ExportDocument {
  sections: ExportSection[];
  /** When the figures were read, epoch ms: the XLSX creation date, so exports are reproducible. */
  generatedMs: number;
}
