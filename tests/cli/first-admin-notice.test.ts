import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { announceFirstAdmin } from '../../cli/first-admin-notice.js';

function captured() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: pino({ base: undefined }, stream) };
}

describe("the first start's one-time admin password", () => {
  test('on a terminal it is a plain framed block with the address, the user name and the password', () => {
    const { lines, logger } = captured();
    let written = '';
    announceFirstAdmin('1-abcDEF123456', {
      dashboardUrl: 'http://localhost:3000/',
      isTerminal: true,
      write: (text) => (written += text),
      logger,
    });
    expect(lines).toEqual([]); // not also a log line: the block is the one place it appears
    const rows = written.split('\n');
    expect(rows.filter((row) => /^=+$/.test(row))).toHaveLength(2);
    expect(written).toContain('http://localhost:3000/');
    expect(written).toMatch(/user name: +admin/);
    expect(written).toMatch(/password: +1-abcDEF123456\n/);
    expect(written).not.toContain('{');
  });

  test('piped, it stays one JSON log line, so line-based log readers are not broken', () => {
    const { lines, logger } = captured();
    let written = '';
    announceFirstAdmin('1-abcDEF123456', {
      dashboardUrl: 'http://localhost:3000/',
      isTerminal: false,
      write: (text) => (written += text),
      logger,
    });
    expect(written).toBe('');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, username: 'admin', oneTimePassword: '1-abcDEF123456' });
    expect(line.msg).toMatch(/^FIRST START/);
  });
});
