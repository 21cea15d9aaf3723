import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createCalendar } from '../../../time/calendar.js';
import type { DeadLetterRecord } from '../../../collector/store/event-store.js';
import { createSqliteEventStore } from '../../../collector/store/sqlite-event-store.js';
import { openConnection, prepareWrites } from '../../../collector/store/sqlite-writes.js';
import { MAX_DEAD_LETTERS } from '../../../collector/store/store-error.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-dead-letters-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const deadLetter = (n: number): DeadLetterRecord => ({
  receivedMs: 1_700_000_000_000 + n,
  topic: 'kiosks/A/events',
  kioskId: 'A',
  reason: 'invalid_json',
  detail: `refused ${n}`,
  payloadExcerpt: '',
});

test('the SQLite store keeps only the newest dead letters: a flood of refusals cannot fill the disk', async () => {
  const file = join(dir, 'events.sqlite');
  const store = createSqliteEventStore({ file, timeZone: 'Asia/Shanghai' });
  await store.close();
  const db = openConnection(file, 'FULL');
  try {
    const writes = prepareWrites(db, createCalendar('Asia/Shanghai'), 3);
    writes.appendDeadLetters([1, 2].map(deadLetter));
    writes.appendDeadLetters([3, 4, 5].map(deadLetter));
    writes.appendDeadLetters([6].map(deadLetter));
    const details = db.prepare('SELECT detail FROM dead_letters ORDER BY seq').pluck().all();
    expect(details).toEqual(['refused 4', 'refused 5', 'refused 6']);
  } finally {
    db.close();
  }
  expect(MAX_DEAD_LETTERS).toBe(100_000);
});
