import { parse } from 'csv-parse/sync';
import { type KioskInput, kioskRecordSchema } from './kiosk.js';

export interface CsvImportResult {
  kiosks: KioskInput[];
  /** One entry per refused row: its line number in the file and why. */
  errors: { line: number; message: string }[];
}

/** CSV column → registry field. Columns as in reference/reference-fleet.csv, plus address and lifecycle. */
const COLUMNS: Record<string, keyof KioskInput> = {
  id: 'id',
  name: 'name',
  name_en: 'nameEn',
  address: 'address',
  district: 'district',
  district_en: 'districtEn',
  lat: 'lat',
  lon: 'lon',
  model: 'model',
  installed: 'installedOn',
  capacity_books: 'capacityBooks',
  lifecycle: 'lifecycle',
};
const NUMERIC = new Set<keyof KioskInput>(['lat', 'lon', 'capacityBooks']);

/** Parses a machine list (UTF-8, header row, RFC 4180) and validates every row. */
export function parseKioskCsv(text: string): CsvImportResult {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (cause) {
    return { kiosks: [], errors: [{ line: 0, message: `not a readable CSV file: ${(cause as Error).message}` }] };
  }
  const header = rows[0] ? Object.keys(rows[0]) : [];
  const unknown = header.filter((h) => !(h in COLUMNS));
  if (unknown.length > 0) {
    return { kiosks: [], errors: [{ line: 1, message: `unknown column(s): ${unknown.join(', ')}` }] };
  }
  const result: CsvImportResult = { kiosks: [], errors: [] };
  const seen = new Set<string>();
  rows.forEach((row, index) => {
    const line = index + 2;
    const input: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) {
      const field = COLUMNS[column]!;
      if (value === '') continue;
      input[field] = NUMERIC.has(field) ? Number(value) : value;
    }
    const parsed = kioskRecordSchema.safeParse(input);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ');
      result.errors.push({ line, message: why });
    } else if (seen.has(parsed.data.id)) {
      result.errors.push({ line, message: `id ${parsed.data.id} appears twice in the file` });
    } else {
      seen.add(parsed.data.id);
      result.kiosks.push(parsed.data);
    }
  });
  return result;
}
