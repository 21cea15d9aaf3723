import ExcelJS from 'exceljs';
import type { ExportColumn, ExportDocument, ExportSection } from './document.js';

const NUMBER_FORMATS: Record<ExportColumn['kind'], string | undefined> = {
  text: undefined,
  integer: '#,##0',
  decimal: '0.00',
  ratio: '0.0%',
  number: undefined,
};

/** Excel's sheet names: at most 31 characters, none of : \ / ? * [ ]. */
function sheetName(title: string, taken: Set<string>): string {
  const base = title.replace(/[:\\/?*[\]]/g, ' ').slice(0, 31) || 'Sheet';
  let name = base;
  for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base.slice(0, 28)} ${n}`;
  taken.add(name.toLowerCase());
  return name;
}

function addSection(workbook: ExcelJS.Workbook, section: ExportSection, name: string): void {
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = section.columns.map((column, index) => ({
    key: String(index),
    width: column.width ?? Math.max(10, column.header.length + 4),
    ...(NUMBER_FORMATS[column.kind] ? { style: { numFmt: NUMBER_FORMATS[column.kind] } } : {}),
  }));
  const header = sheet.addRow(section.columns.map((c) => c.header));
  header.font = { bold: true };
  // Values go in as JavaScript numbers and strings: numbers become numeric cells, and text is never
  // a formula (exceljs writes a formula only when given {formula}), so no injection is possible here.
  for (const row of section.rows) sheet.addRow(row);
  if (section.totalRow) {
    const total = sheet.addRow(section.totalRow);
    total.font = { bold: true };
    total.eachCell((cell) => (cell.border = { top: { style: 'thin' } }));
  }
}

/** The document as an XLSX workbook: one sheet per section, a bold header row, typed numeric cells. */
export async function toXlsx(document: ExportDocument): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'kiosk-fleet';
  workbook.created = new Date(document.generatedMs);
  workbook.modified = new Date(document.generatedMs);
  const taken = new Set<string>();
  for (const section of document.sections) addSection(workbook, section, sheetName(section.title, taken));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
