import { describe, expect, test } from 'vitest';
import { createLocalTime } from '../../agent/local-time.js';
import { computeChecksum, isChecksumValid } from '../../sip2/codec/checksum.js';
import { encodeSip2 } from '../../sip2/codec/encode.js';
import { createSip2Framer, type Frame } from '../../sip2/codec/framer.js';
import { fieldOf, parseSip2 } from '../../sip2/codec/parse.js';
import { redactMessage, redactUnreadable } from '../../sip2/codec/redact.js';
import { formatSip2Date, parseSip2Date } from '../../sip2/codec/sip2-date.js';

describe('SIP2 checksum', () => {
  // Fixed points checked against public implementations.
  test.each([
    ['941AY1AZ', 'FDFC'],
    ['9900802.00AY1AZ', 'FCA0'],
    ['990   2.00AY1AZ', 'FCD8'],
    ['98YYYYYN60000320130424    1135112.00AOEPLMNA|AMEPLMNA|BXYYYYYYYYYYYNNYYY|ANSIPCHK|AY1AZ', 'E80C'],
  ])('%s has checksum %s', (message, checksum) => {
    expect(computeChecksum(message)).toBe(checksum);
    expect(isChecksumValid(message, checksum.toLowerCase())).toBe(true);
  });

  test('a changed byte changes the checksum', () => {
    expect(isChecksumValid('941AY2AZ', 'FDFC')).toBe(false);
  });
});

describe('SIP2 framing', () => {
  const lines = (frames: Frame[]) => frames.map((f) => (f.kind === 'message' ? f.line : `<overflow ${f.bufferedBytes}>`));
  const feed = (chunks: string[], max?: number) => {
    const framer = createSip2Framer(max);
    return chunks.flatMap((chunk) => lines(framer.push(Buffer.from(chunk, 'latin1'))));
  };

  test.each([
    ['one message, CR', ['9900802.00\r'], ['9900802.00']],
    ['one message, CR LF', ['9900802.00\r\n'], ['9900802.00']],
    ['three coalesced in one read', ['941\r9900802.00\r\n941\r'], ['941', '9900802.00', '941']],
    ['split in the middle', ['99008', '02.00\r'], ['9900802.00']],
    ['split between CR and LF', ['941\r', '\n941\r\n'], ['941', '941']],
    ['split byte by byte', [...'941\r\n942\r'], ['941', '942']],
    ['no terminator yet', ['9900802.00'], []],
  ])('%s', (_name, chunks, expected) => {
    expect(feed(chunks)).toEqual(expected);
  });

  test('a line past the limit is reported once, as soon as it is too long, and the next message reads', () => {
    const framer = createSip2Framer(1_024);
    const big = Buffer.alloc(1_048_576, 0x41);
    const frames = [...framer.push(big.subarray(0, 600_000)), ...framer.push(big.subarray(600_000))];
    expect(frames).toEqual([{ kind: 'overflow', bufferedBytes: 600_000 }]);
    expect(framer.bufferedBytes()).toBe(0);
    expect(lines(framer.push(Buffer.from('\r941\r')))).toEqual(['941']);
  });
});

describe('SIP2 parsing', () => {
  const withCheck = (body: string, seq = 1) => encodeSip2(body.slice(0, 2), [body.slice(2)], [], seq);

  test.each([
    ['93', '9300CNsc-login|COsecret|CPLIB-01|', { uidAlgorithm: '0', pwdAlgorithm: '0' }, [['CN', 'sc-login']]],
    ['94', '941', { ok: '1' }, []],
    ['99', '9900802.00', { statusCode: '0', maxPrintWidth: '080', protocolVersion: '2.00' }, []],
    [
      '98',
      '98YYYYYN60000320130424    1135112.00AOEPLMNA|AMEPLMNA|BXYYYYYYYYYYYNNYYY|ANSIPCHK|',
      { onLine: 'Y', checkinOk: 'Y', checkoutOk: 'Y', dateTimeSync: '20130424    113511' },
      [['AO', 'EPLMNA']],
    ],
    [
      '11',
      '11YN20260301    083000                  AOLIB|AAP123|ABB0001|ACpw|',
      { noBlock: 'N', transactionDate: '20260301    083000' },
      [['AB', 'B0001']],
    ],
    ['12', '121NNY20260301    083001AOLIB|AAP123|ABB0001|AJTitle|', { ok: '1', renewalOk: 'N' }, [['AJ', 'Title']]],
    ['09', '09N20260301    08300020260301    083000APLIB|AOLIB|ABB0001|ACpw|', { noBlock: 'N' }, [['AP', 'LIB']]],
    ['10', '101YNN20260301    083001AOLIB|ABB0001|AQLIB|', { ok: '1', alert: 'N' }, [['AQ', 'LIB']]],
    ['29', '29NY20260301    083000                  AOLIB|AAP123|ABB0001|', { noBlock: 'Y' }, [['AB', 'B0001']]],
    ['30', '300NUN20260301    083001AOLIB|AAP123|ABB0001|AJT|AFOn hold|', { ok: '0' }, [['AF', 'On hold']]],
    ['35', '3520260301    083000AOLIB|AAP123|', { transactionDate: '20260301    083000' }, [['AA', 'P123']]],
    ['24', '24              00120260301    083000AOLIB|AAP123|AEJane|', { language: '001' }, [['AE', 'Jane']]],
    ['96', '96', {}, []],
    ['97', '97', {}, []],
  ])('message %s: fixed and variable fields', (code, body, fixed, firstFields) => {
    for (const line of [body, withCheck(body)]) {
      const result = parseSip2(line);
      expect(result.ok, `${line}`).toBe(true);
      if (!result.ok) continue;
      expect(result.message.code).toBe(code);
      expect(result.message.fixed).toMatchObject(fixed);
      for (const [id, value] of firstFields as [string, string][]) expect(fieldOf(result.message, id)).toBe(value);
    }
  });

  test('error detection: the sequence number is read and a lowercase checksum accepted', () => {
    const line = withCheck('9900802.00', 7);
    const result = parseSip2(line.slice(0, -4) + line.slice(-4).toLowerCase());
    expect(result).toMatchObject({ ok: true, message: { sequence: 7, checksum: line.slice(-4).toLowerCase() } });
  });

  test.each([
    ['an empty line', '', 'empty'],
    ['an unknown code', '42hello', 'unknown_code'],
    ['garbage bytes', '\u0000\u00ff\u0013x', 'unknown_code'],
    ['a wrong checksum', '941AY1AZFDFD', 'bad_checksum'],
    ['a message shorter than its fixed fields', '11YN2026', 'too_short'],
    ['a field without an id', '941|x|', 'bad_field'],
  ])('%s is refused as %s', (_name, line, reason) => {
    expect(parseSip2(line)).toMatchObject({ ok: false, reason });
  });

  test('encoding then parsing gives the same fields and a valid checksum', () => {
    const line = encodeSip2(
      '12',
      ['1', 'N', 'N', 'Y', '20260301    083001'],
      [
        ['AB', 'B1'],
        ['AO', 'LIB'],
      ],
      3,
    );
    expect(line).toMatch(/AY3AZ[0-9A-F]{4}$/);
    expect(parseSip2(line)).toMatchObject({
      ok: true,
      message: {
        code: '12',
        sequence: 3,
        fields: [
          ['AB', 'B1'],
          ['AO', 'LIB'],
        ],
      },
    });
  });
});

describe('SIP2 dates', () => {
  const shanghai = createLocalTime('Asia/Shanghai');
  test.each([
    ['local time when the zone is blank', '20260301    083000', '2026-03-01T00:30:00.000Z'],
    ['UTC when the zone is Z', '20260301   Z083000', '2026-03-01T08:30:00.000Z'],
  ])('%s', (_name, text, iso) => {
    expect(new Date(parseSip2Date(text, shanghai)!).toISOString()).toBe(iso);
  });
  test.each([
    ['blank', '                  '],
    ['not a date', '20260230    083000'],
    ['short', '2026'],
  ])('a %s date is no date', (_name, text) => {
    expect(parseSip2Date(text, shanghai)).toBeUndefined();
  });
  test('formatting and parsing agree', () => {
    const ms = Date.parse('2026-07-04T12:34:56Z');
    expect(parseSip2Date(formatSip2Date(ms, shanghai), shanghai)).toBe(ms);
    expect(parseSip2Date(formatSip2Date(ms, 'utc'), shanghai)).toBe(ms);
  });
});

describe('SIP2 redaction', () => {
  test('only item, institution, locations and media type survive; reader data and passwords do not', () => {
    const parsed = parseSip2(
      '11YN20260301    083000                  AOLIB|AAP-SECRET-1|ABB0001|ACpw9|ADpin|AEJane Doe|ZXvendor|',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const text = redactMessage(parsed.message);
    expect(text).toContain('ABB0001|');
    expect(text).toContain('AOLIB|');
    for (const secret of ['P-SECRET-1', 'pw9', 'pin', 'Jane', 'vendor']) expect(text).not.toContain(secret);
  });

  test('patron status bits of 24 are not kept', () => {
    const parsed = parseSip2('24Y  YY        00120260301    083000AOLIB|AAP1|');
    expect(parsed.ok && redactMessage(parsed.message)).not.toContain('Y  YY');
  });

  test('an unreadable line keeps no values at all', () => {
    const text = redactUnreadable('11garbage|AAP-SECRET-2|ABB1|\u0000');
    expect(text).not.toContain('P-SECRET-2');
    expect(text).toMatch(/^11…\|AA…\|AB…/);
  });
});
