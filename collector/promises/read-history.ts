import type { EventRecord, EventStore } from '../store/event-store.js';

const PAGE = 5_000;

/** Reads every stored event of some types, oldest first, a page at a time (keyset pagination). */
export async function readHistory(
  store: EventStore,
  types: readonly string[],
  onPage: (records: EventRecord[]) => void,
): Promise<void> {
  let last: EventRecord | undefined;
  for (;;) {
    const page = await store.readEvents({ types, limit: PAGE, ...(last ? { after: { tsMs: last.tsMs, id: last.id } } : {}) });
    onPage(page);
    if (page.length < PAGE) return;
    last = page[page.length - 1];
  }
}
