import { alertIdFor } from '../../../collector/domain/alerts.js';
import type { HealthEntry } from '../../../collector/domain/health-entry.js';
import type { Component, Severity } from '../../../protocol/events.js';
import { ack, at, type Body, cleared, fault, heard, lifecycle, maintenance, offline, online, silent, sorted } from './health-fixtures.js';

export const DAY = 86_400_000;
const MINUTE = 60_000;
export const START = Date.parse('2026-01-01T00:00:00.000Z');

/** mulberry32: a small seeded generator, so a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMPONENTS: Component[] = ['rfid_reader', 'receipt_printer', 'card_reader', 'door'];
const SEVERITIES: Severity[] = ['minor', 'major', 'critical'];

/**
 * One machine's health history over `days`: reboots (with now and then a Last Will arriving late),
 * faults cleared minutes or days later, acknowledgements (some recorded before their fault
 * arrives), silences, not-lending judgements, pauses and planned maintenance.
 */
export function generateHistory(seed: number, days: number, kioskId = 'K1'): HealthEntry[] {
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const entries: HealthEntry[] = [];
  const add = (tsMs: number, body: Body, receivedMs?: number) =>
    entries.push(at(new Date(tsMs).toISOString(), body, kioskId, receivedMs === undefined ? undefined : new Date(receivedMs).toISOString()));
  let boot = 0;
  let faultSeq = 0;
  add(START, online(`b${boot}`));
  for (let d = 0; d < days; d++) {
    const dayMs = START + d * DAY;
    const when = () => dayMs + Math.floor(rnd() * DAY);
    if (rnd() < 0.4) {
      const t = when();
      add(t, offline(`b${boot}`));
      boot += 1;
      add(t + Math.floor(rnd() * 180 + 1) * MINUTE, online(`b${boot}`));
      if (rnd() < 0.2) add(t + 200 * MINUTE, offline(`b${boot - 1}`), t + 300 * MINUTE);
    }
    for (let i = 0; i < 3; i++) {
      if (rnd() >= 0.35) continue;
      const faultId = `F${seed}-${++faultSeq}`;
      const t = when();
      add(t, fault(faultId, pick(COMPONENTS), pick(SEVERITIES), rnd() < 0.5 ? undefined : rnd() < 0.5));
      if (rnd() < 0.3) add(t + (rnd() < 0.2 ? -5 : 20) * MINUTE, ack(alertIdFor(kioskId, `f:${faultId}`)));
      add(t + Math.floor(rnd() * (rnd() < 0.2 ? 3 * DAY : 240 * MINUTE)) + MINUTE, cleared(faultId));
    }
    if (rnd() < 0.1) {
      const t = when();
      add(t, silent());
      add(t + Math.floor(rnd() * 120 + 1) * MINUTE, heard());
    }
    if (rnd() < 0.08) {
      const t = when();
      add(t, { type: 'kiosk_not_lending', since: new Date(t - 3 * 3_600_000).toISOString(), expected: 9, seen: 0, probability: 0.001 });
      add(t + Math.floor(rnd() * 600 + 1) * MINUTE, { type: 'kiosk_lending_resumed' });
    }
    if (rnd() < 0.05) {
      const t = when();
      add(t, lifecycle('paused', 'active'));
      add(t + Math.floor(rnd() * 2 * DAY), lifecycle('active', 'paused'));
    }
    if (rnd() < 0.05) {
      const from = when() + 2 * 3_600_000;
      add(from - 3 * DAY * rnd(), maintenance(new Date(from).toISOString(), new Date(from + 3_600_000).toISOString()));
    }
  }
  return sorted(entries);
}

