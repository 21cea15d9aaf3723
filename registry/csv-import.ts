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
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parse(text, {
      columns: (header: string[]) => {
        const unknown = header.filter((h) => !(h in COLUMNS));
        if (unknown.length > 0) throw new Error(`unknown column(s): ${unknown.join(', ')}`);
        return header;
      },
      skip_empty_lines: true,
      trim: true,
      bom: true,
      info: true,
    });
  } catch (cause) {
    const line = (cause as { lines?: number }).lines ?? 1;
    return { kiosks: [], errors: [{ line, message: `not a readable machine list: ${(cause as Error).message}` }] };
  }
  if (rows.length === 0)
    return { kiosks: [], errors: [{ line: 1, message: 'the file lists no machines (a header row, then one row per machine)' }] };
  const result: CsvImportResult = { kiosks: [], errors: [] };
  const seen = new Set<string>();
  for (const { record, info } of rows) {
    // csv-parse counts the lines read so far: the line where this record ends.
    const line = info.lines;
    const input: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(record)) {
      const field = COLUMNS[column]!;
      if (value === '') continue;
      input[field] = NUMERIC.has(field) ? Number(value) : value;
    }
    const parsed = kioskRecordSchema.safeParse(input);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${columnOf(i.path[0]) || 'row'}: ${i.message}`).join('; ');
      result.errors.push({ line, message: why });
    } else if (seen.has(parsed.data.id)) {
      result.errors.push({ line, message: `id ${parsed.data.id} appears twice in the file` });
    } else {
      seen.add(parsed.data.id);
      result.kiosks.push(parsed.data);
    }
  }
  return result;
}

/** The CSV column a registry field comes from, for messages that name what the user wrote. */
function columnOf(field: PropertyKey | undefined): string {
  return Object.entries(COLUMNS).find(([, f]) => f === field)?.[0] ?? String(field ?? '');
}
