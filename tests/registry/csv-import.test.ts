import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseKioskCsv } from '../../registry/csv-import.js';

const REFERENCE_FLEET = join(import.meta.dirname, '../../reference/reference-fleet.csv');

const HEADER = 'id,name,district,lat,lon';
const GOOD_ROW = 'CY-101,望京自助图书馆,望京,39.99638,116.47044';

describe('importing machines from CSV', () => {
  test('the reference fleet parses into its 70 machines, typed, with no errors', () => {
    const { kiosks, errors } = parseKioskCsv(readFileSync(REFERENCE_FLEET, 'utf8'));
    expect(errors).toEqual([]);
    expect(kiosks.map((k) => k.id)).toEqual(Array.from({ length: 70 }, (_, i) => `CY-${String(i + 1).padStart(3, '0')}`));
    expect(kiosks[0]).toEqual({
      id: 'CY-001',
      name: '三里屯商场广场自助图书馆',
      nameEn: 'Sanlitun self-service library 1',
      district: '三里屯',
      districtEn: 'Sanlitun',
      lat: 39.93084,
      lon: 116.45614,
      model: 'ZZTS-I',
      installedOn: '2012-08-21',
      capacityBooks: 336,
      lifecycle: 'active',
    });
    for (const kiosk of kiosks) {
      expect(typeof kiosk.lat).toBe('number');
      expect(typeof kiosk.lon).toBe('number');
      expect(Number.isInteger(kiosk.capacityBooks)).toBe(true);
    }
  });

  test.each<{ what: string; csv: string; ids: string[]; check?: (kiosks: ReturnType<typeof parseKioskCsv>['kiosks']) => void }>([
    { what: 'a file with a UTF-8 byte order mark', csv: `\uFEFF${HEADER}\n${GOOD_ROW}\n`, ids: ['CY-101'] },
    {
      what: 'a quoted field holding a comma',
      csv: `${HEADER},address\nCY-101,"望京, 二号",望京,39.9,116.4,"阜通东大街 6 号, 望京"\n`,
      ids: ['CY-101'],
      check: (kiosks) => expect(kiosks[0]).toMatchObject({ name: '望京, 二号', address: '阜通东大街 6 号, 望京' }),
    },
    { what: 'Windows line endings', csv: `${HEADER}\r\n${GOOD_ROW}\r\nCY-102,B,望京,39.9,116.4\r\n`, ids: ['CY-101', 'CY-102'] },
    { what: 'columns in another order', csv: `lon,lat,district,name,id\n116.4,39.9,望京,A,CY-101\n`, ids: ['CY-101'] },
    {
      what: 'empty optional cells and an explicit lifecycle',
      csv: `${HEADER},model,installed,capacity_books,lifecycle\nCY-101,A,望京,39.9,116.4,,,,reserve\n`,
      ids: ['CY-101'],
      check: (kiosks) =>
        expect(kiosks[0]).toEqual({ id: 'CY-101', name: 'A', district: '望京', lat: 39.9, lon: 116.4, lifecycle: 'reserve' }),
    },
    { what: 'blank lines between rows', csv: `${HEADER}\n${GOOD_ROW}\n\nCY-102,B,望京,39.9,116.4\n`, ids: ['CY-101', 'CY-102'] },
  ])('$what is accepted', ({ csv, ids, check }) => {
    const { kiosks, errors } = parseKioskCsv(csv);
    expect(errors).toEqual([]);
    expect(kiosks.map((k) => k.id)).toEqual(ids);
    check?.(kiosks);
  });

  test.each<{ what: string; csv: string; line: number; mentions: string[] }>([
    { what: 'a missing name', csv: `${HEADER}\n${GOOD_ROW}\nCY-102,,望京,39.9,116.4\n`, line: 3, mentions: ['name'] },
    { what: 'a latitude that is not a number', csv: `${HEADER}\nCY-101,A,望京,north,116.4\n`, line: 2, mentions: ['lat'] },
    { what: 'a latitude out of range', csv: `${HEADER}\nCY-101,A,望京,200,116.4\n`, line: 2, mentions: ['lat'] },
    {
      what: 'an impossible installation date',
      csv: `${HEADER},installed\nCY-101,A,望京,39.9,116.4,2012-13-45\n`,
      line: 2,
      mentions: ['installed'],
    },
    {
      what: 'an installation date in another format',
      csv: `${HEADER},installed\nCY-101,A,望京,39.9,116.4,21/08/2012\n`,
      line: 2,
      mentions: ['installed'],
    },
    {
      what: 'a fractional book capacity',
      csv: `${HEADER},capacity_books\nCY-101,A,望京,39.9,116.4,33.5\n`,
      line: 2,
      mentions: ['capacity_books'],
    },
    {
      what: 'an unknown lifecycle',
      csv: `${HEADER},lifecycle\nCY-101,A,望京,39.9,116.4,stolen\n`,
      line: 2,
      mentions: ['lifecycle'],
    },
    { what: 'an id with a slash', csv: `${HEADER}\nCY/101,A,望京,39.9,116.4\n`, line: 2, mentions: ['id'] },
    {
      what: 'a duplicate id',
      csv: `${HEADER}\n${GOOD_ROW}\nCY-102,B,望京,39.9,116.4\n${GOOD_ROW}\n`,
      line: 4,
      mentions: ['CY-101', 'twice'],
    },
    {
      what: 'an unknown column',
      csv: `${HEADER},colour\nCY-101,A,望京,39.9,116.4,red\n`,
      line: 1,
      mentions: ['unknown column', 'colour'],
    },
  ])('$what is refused with its line number and the field named', ({ csv, line, mentions }) => {
    const { errors } = parseKioskCsv(csv);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.line).toBe(line);
    for (const word of mentions) expect(errors[0]?.message).toContain(word);
  });

  test('every refused row is reported, each with its own line, and the good rows are still parsed', () => {
    const csv = `${HEADER}\nCY-101,,望京,39.9,116.4\n${GOOD_ROW.replace('101', '102')}\nCY-103,C,望京,39.9,east\n`;
    const { kiosks, errors } = parseKioskCsv(csv);
    expect(errors.map((e) => e.line)).toEqual([2, 4]);
    expect(errors[0]?.message).toContain('name');
    expect(errors[1]?.message).toContain('lon');
    expect(kiosks.map((k) => k.id)).toEqual(['CY-102']);
  });

  test('a row with the wrong number of cells makes the file unreadable', () => {
    const { kiosks, errors } = parseKioskCsv(`${HEADER}\nCY-101,A,望京,39.9\n`);
    expect(kiosks).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toEqual({ line: 2, message: expect.stringMatching(/not a readable machine list.*line 2/) as string });
  });

  test.each<{ what: string; csv: string }>([
    { what: 'an empty file', csv: '' },
    { what: 'a file of blank lines', csv: '\n\n' },
    { what: 'a header-only file with an unknown column', csv: 'id,colour\n' },
  ])('$what is refused with an error', ({ csv }) => {
    const { kiosks, errors } = parseKioskCsv(csv);
    expect(kiosks).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
  });

  test.each<{ what: string; csv: string }>([
    { what: 'a blank line', csv: `${HEADER}\n${GOOD_ROW}\n\nCY-102,,望京,39.9,116.4\n` },
    {
      what: 'a quoted field spanning two lines',
      csv: `${HEADER},address\nCY-101,望京,望京,39.9,116.4,"望京街\n二号"\nCY-102,,望京,39.9,116.4,\n`,
    },
  ])('after $what, a refused row is reported at its real line (4)', ({ csv }) => {
    expect(parseKioskCsv(csv).errors).toEqual([{ line: 4, message: expect.stringContaining('name') as string }]);
  });
});
