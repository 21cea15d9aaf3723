import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { KioskEvent } from '../../protocol/events.js';
import { openOutbox, type Outbox } from '../../agent/outbox.js';

const loan = (id: string, minute: number): KioskEvent => ({
  id,
  ts: `2023-06-01T12:${String(minute).padStart(2, '0')}:00.000+08:00`,
  type: 'loan',
  itemId: 'B123456',
});

describe('outbox', () => {
  let dir: string;
  let filePath: string;
  const opened: Outbox[] = [];
  const open = (options: Parameters<typeof openOutbox>[1] = {}) => {
    const outbox = openOutbox(filePath, options);
    opened.push(outbox);
    return outbox;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outbox-'));
    filePath = join(dir, 'outbox.sqlite');
  });
  afterEach(async () => {
    for (const outbox of opened.splice(0)) {
      try {
        outbox.close();
      } catch {
        // already closed by the test
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('what one instance wrote is pending, in order, for a new instance on the same file', () => {
    const first = open();
    first.add('K1', [loan('K1-a-0', 0), loan('K1-a-1', 1)], { lastSimMs: 42 });
    first.markSent(['K1-a-0'], 1_000);
    // No close(): the process is killed.
    const second = open();
    expect(second.pending('K1', 10).map((e) => [e.event.id, e.sentMs])).toEqual([
      ['K1-a-0', 1_000],
      ['K1-a-1', undefined],
    ]);
    expect(second.pending('K1', 10)[1]!.event).toEqual(loan('K1-a-1', 1));
    expect(second.loadProgress('K1')).toEqual({ lastSimMs: 42 });
  });

  test('events written by a process killed with SIGKILL are all pending after a restart', async () => {
    const writer = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/outbox-writer.ts'), filePath],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const [firstChunk] = (await once(writer.stdout, 'data')) as [Buffer];
      expect(firstChunk.toString()).toContain('written');
    } finally {
      writer.kill('SIGKILL');
    }
    const [, signal] = (await once(writer, 'exit')) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    const outbox = open();
    expect(outbox.pending('K1', 10).map((e) => [e.event.id, e.sentMs])).toEqual([
      ['K1-child-0', 1_000],
      ['K1-child-1', undefined],
      ['K1-child-2', undefined],
    ]);
    expect(outbox.loadProgress('K1')).toEqual({ lastSimMs: 1_685_592_002_000 });
  });

  test('pending is oldest first, per machine, limited, and only what is due', () => {
    const outbox = open();
    outbox.add('K1', [loan('K1-0', 0), loan('K1-1', 1)]);
    outbox.add('K2', [loan('K2-0', 2)]);
    outbox.add('K1', [loan('K1-2', 3)]);
    expect(outbox.pending('K1', 10).map((e) => e.event.id)).toEqual(['K1-0', 'K1-1', 'K1-2']);
    expect(outbox.pending('K1', 2).map((e) => e.event.id)).toEqual(['K1-0', 'K1-1']);
    outbox.markSent(['K1-0'], 1_000);
    outbox.markSent(['K1-1'], 5_000);
    expect(outbox.pending('K1', 10, 2_000).map((e) => e.event.id)).toEqual(['K1-0', 'K1-2']);
    outbox.markUnsent('K1');
    expect(outbox.pending('K1', 10, 0).map((e) => e.event.id)).toEqual(['K1-0', 'K1-1', 'K1-2']);
    expect(outbox.pending('K2', 10).map((e) => e.event.id)).toEqual(['K2-0']);
  });

  test('events added as sent (alone or several with progress) are due only once their send is old enough', () => {
    const outbox = open();
    outbox.add('K1', [loan('K1-0', 0)], undefined, 1_000);
    outbox.add('K1', [loan('K1-1', 1), loan('K1-2', 2)], { step: 1 }, 3_000);
    outbox.add('K1', [loan('K1-3', 3)]);
    expect(outbox.pending('K1', 10, 2_000).map((e) => [e.event.id, e.sentMs])).toEqual([
      ['K1-0', 1_000],
      ['K1-3', undefined],
    ]);
    expect(outbox.pending('K1', 10).map((e) => e.sentMs)).toEqual([1_000, 3_000, 3_000, undefined]);
    expect(outbox.loadProgress('K1')).toEqual({ step: 1 });
  });

  test('remove drops acked events, ignores unknown ids; an id added twice is kept once', () => {
    const outbox = open();
    outbox.add('K1', [loan('K1-0', 0), loan('K1-1', 1)]);
    outbox.add('K1', [loan('K1-1', 1)]);
    outbox.add('K2', [loan('K2-0', 2)]);
    expect(outbox.count()).toBe(3);
    expect(outbox.remove(['K1-0', 'nope'])).toBe(1);
    expect(outbox.count('K1')).toBe(1);
    expect(outbox.count('K2')).toBe(1);
    expect(outbox.pending('K1', 10).map((e) => e.event.id)).toEqual(['K1-1']);
  });

  test('progress is saved with events atomically, and can be saved alone', () => {
    const outbox = open();
    expect(outbox.loadProgress('K1')).toBeUndefined();
    outbox.add('K1', [loan('K1-0', 0)], { lastSimMs: 1 });
    outbox.saveProgress('K1', { lastSimMs: 2 });
    outbox.close();
    expect(open().loadProgress('K1')).toEqual({ lastSimMs: 2 });
  });

  // A checkpoint inside a commit fsyncs on the event loop: for the SIP2 bridge, inside the commit a
  // reader's loan waits on. The outbox leaves checkpoints to a thread of its own.
  const fileBytes = () => statSync(filePath).size;
  const manyLoans = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({ ...loan(`L-${from + i}`, i % 60), itemId: 'B'.repeat(400) }));

  test('no commit copies the log into the file, however long the log grows', () => {
    const outbox = open({ checkpointEveryMs: 60_000 });
    const before = fileBytes();
    // About 3,000 pages of log: three times the size at which SQLite would checkpoint by itself.
    for (let n = 0; n < 300; n++) outbox.add('K-001', manyLoans(n * 30, 30));
    expect(fileBytes()).toBe(before);
    expect(outbox.count()).toBe(9_000);
  });

  test('the log is copied into the file in the background while the outbox stays open', async () => {
    const outbox = open({ checkpointEveryMs: 20 });
    const before = fileBytes();
    for (let n = 0; n < 20; n++) outbox.add('K-001', manyLoans(n * 30, 30));
    await expect.poll(fileBytes, { timeout: 10_000 }).toBeGreaterThan(before);
    expect(outbox.pending('K-001', 1_000)).toHaveLength(600);
  });
});
