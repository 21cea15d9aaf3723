import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { describe, expect, test } from 'vitest';
import { isFormulaLike, toCsv } from '../../dashboard/exports/csv.js';
import type { ExportDocument } from '../../dashboard/exports/document.js';
import { toXlsx } from '../../dashboard/exports/xlsx.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function document(names: string[]): ExportDocument {
  return {
    generatedMs: Date.parse('2024-02-03T01:00:00Z'),
    sections: [
      {
        title: 'machines',
        columns: [
          { header: 'name', kind: 'text' },
          { header: 'loans', kind: 'integer' },
          { header: 'change', kind: 'integer' },
        ],
        rows: names.map((name, i) => [name, 1000 + i, -i]),
        totalRow: ['total', names.reduce((sum, _, i) => sum + 1000 + i, 0), null],
      },
      { title: 'about', columns: [{ header: 'item', kind: 'text' }], rows: [['a, "quoted" item\nover two lines']] },
    ],
  };
}

/** Reads an XLSX file back with exceljs (which takes an ArrayBuffer). */
async function readWorkbook(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return workbook;
}

describe('CSV export', () => {
  test.each([
    ['=HYPERLINK("http://evil.example","click")', true],
    ['+8613800000000', true],
    ['-2+3', true],
    ['@SUM(A1:A9)', true],
    ['\tcmd', true],
    ['\rcmd', true],
    ['＝1+1', true],
    ['三里屯 =1', false],
    ['CY-001', false],
    ['', false],
  ])('%j starts like a formula: %s', (text, expected) => {
    expect(isFormulaLike(text)).toBe(expected);
  });

  test('starts with the UTF-8 BOM, ends records with CRLF and keeps Chinese intact', () => {
    const csv = toCsv(document(['三里屯商场广场自助图书馆']));
    expect(csv.subarray(0, 3)).toEqual(BOM);
    const text = csv.subarray(3).toString('utf8');
    expect(text.startsWith('name,loans,change\r\n三里屯商场广场自助图书馆,1000,0\r\ntotal,1000,\r\n')).toBe(true);
  });

  test.each(['=HYPERLINK("http://evil.example","click")', '+cmd|/C calc', '-2+3', '@SUM(A1)', '\t=1+1', '\r=1+1'])(
    'a name %j is prefixed with an apostrophe and quoted, and reads back as that text',
    (name) => {
      const text = toCsv(document([name]))
        .subarray(3)
        .toString('utf8');
      const line = text.split('\r\n')[1]!;
      expect(line.startsWith(`"'`)).toBe(true);
      const [, row] = parse(text, { relax_column_count: true }) as string[][];
      expect(row![0]).toBe(`'${name}`);
    },
  );

  test('negative numbers stay numbers (not escaped), and RFC 4180 quoting survives a round trip', () => {
    const text = toCsv(document(['A', 'B', 'C']))
      .subarray(3)
      .toString('utf8');
    expect(text).toContain('\r\nC,1002,-2\r\n');
    const records = parse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
    expect(records.at(-1)).toEqual(['a, "quoted" item\nover two lines']);
    // Later sections come after a blank line and their title.
    expect(records.slice(-4, -1)).toEqual([[''], ['about'], ['item']]);
  });
});

describe('XLSX export', () => {
  test('reads back with a bold header, numeric cells, a bold total row and one sheet per section', async () => {
    const workbook = await readWorkbook(await toXlsx(document(['=1+1', '三里屯'])));
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['machines', 'about']);
    const sheet = workbook.getWorksheet('machines')!;
    expect(sheet.getRow(1).values).toEqual([undefined, 'name', 'loans', 'change']);
    expect(sheet.getRow(1).font?.bold).toBe(true);
    const injected = sheet.getCell('A2');
    expect(injected.type).toBe(ExcelJS.ValueType.String);
    expect(injected.value).toBe('=1+1');
    expect(sheet.getCell('B3').type).toBe(ExcelJS.ValueType.Number);
    expect(sheet.getCell('B3').value).toBe(1001);
    expect(sheet.getCell('B3').numFmt).toBe('#,##0');
    expect(sheet.getCell('C3').value).toBe(-1);
    const total = sheet.getRow(4);
    expect(total.values).toEqual([undefined, 'total', 2001]);
    expect(total.font?.bold).toBe(true);
    expect(workbook.created.toISOString()).toBe('2024-02-03T01:00:00.000Z');
  });
});
