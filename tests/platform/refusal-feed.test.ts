import { describe, expect, test } from 'vitest';
import type { Rejection } from '../../broker/rejection.js';
import { RefusalFeed, type TimedRefusal } from '../../platform/refusal-feed.js';

const refusal = (clientId: string): Rejection => ({ reason: 'bad_credentials', clientId, detail: `bad token for ${clientId}` });

describe('the refusal feed', () => {
  test('refusals before anyone listens are handed to the listener in order, each with the time it was made', () => {
    let nowMs = 1_000;
    const feed = new RefusalFeed(() => nowMs);
    feed.push(refusal('A'));
    nowMs = 2_000;
    feed.push(refusal('B'));
    const seen: TimedRefusal[] = [];
    nowMs = 9_000;
    feed.subscribe((r) => seen.push(r));
    feed.push(refusal('C'));
    expect(seen.map((r) => [r.rejection.clientId, r.atMs])).toEqual([
      ['A', 1_000],
      ['B', 2_000],
      ['C', 9_000],
    ]);
  });

  test('with no listener, at most the bound is kept and the rest are counted as dropped', () => {
    const feed = new RefusalFeed(() => 0, 2);
    for (const id of ['A', 'B', 'C', 'D']) feed.push(refusal(id));
    const seen: string[] = [];
    feed.subscribe((r) => seen.push(r.rejection.clientId!));
    expect(seen).toEqual(['A', 'B']);
    expect(feed.droppedBeforeListener).toBe(2);
  });

  test('after unsubscribing, refusals wait for the next listener', () => {
    const feed = new RefusalFeed(() => 0);
    const first: string[] = [];
    const unsubscribe = feed.subscribe((r) => first.push(r.rejection.clientId!));
    feed.push(refusal('A'));
    unsubscribe();
    feed.push(refusal('B'));
    const second: string[] = [];
    feed.subscribe((r) => second.push(r.rejection.clientId!));
    expect([first, second]).toEqual([['A'], ['B']]);
  });

  test('a second listener is refused: the dead-letter store is the one consumer', () => {
    const feed = new RefusalFeed(() => 0);
    feed.subscribe(() => undefined);
    expect(() => feed.subscribe(() => undefined)).toThrow('already has a listener');
  });
});
