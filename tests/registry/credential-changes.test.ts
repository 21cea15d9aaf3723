import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { type KioskRegistry, RegistryError } from '../../registry/kiosk-registry.js';
import { KIOSK_REGISTRY_DEFAULTS, openKioskRegistry } from '../../registry/sqlite-kiosk-registry.js';
import { REGISTRY_SCHEMA_VERSION } from '../../registry/registry-schema.js';
import { hashToken } from '../../registry/tokens.js';

const machine = (id: string) => ({ id, name: `Machine ${id}`, district: 'Test', lat: 39.9, lon: 116.4 });
const POLL_MS = KIOSK_REGISTRY_DEFAULTS.credentialsPollMs;

/**
 * Two registries on one file are two SQLite connections, as the broker's and the dashboard's are
 * in two processes. Only the poll's interval timer is faked: the SQLite file and its
 * cross-connection change detection are real.
 */
describe('credential changes another connection commits', () => {
  let dir: string;
  let file: string;
  let brokerSide: KioskRegistry;
  let dashboardSide: KioskRegistry;
  let heard: string[];

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    dir = await mkdtemp(join(tmpdir(), 'kiosk-credential-changes-'));
    file = join(dir, 'registry.sqlite');
    brokerSide = openKioskRegistry(file);
    dashboardSide = openKioskRegistry(file);
    heard = [];
  });
  afterEach(async () => {
    vi.useRealTimers();
    brokerSide.close();
    dashboardSide.close();
    await rm(dir, { recursive: true, force: true });
  });

  const listen = (registry: KioskRegistry) => registry.onCredentialsChanged((id, change) => heard.push(`${id} ${change}`));

  test('are announced to the listening registry at its next poll: revocation and rotation', () => {
    dashboardSide.provision(machine('CY-001'));
    dashboardSide.provision(machine('CY-002'));
    listen(brokerSide);

    dashboardSide.revoke('CY-001');
    expect(heard).toEqual([]);
    vi.advanceTimersByTime(POLL_MS);
    expect(heard).toEqual(['CY-001 revoked']);

    dashboardSide.rotateToken('CY-002');
    dashboardSide.rotateToken('CY-001');
    vi.advanceTimersByTime(POLL_MS);
    expect(heard).toEqual(['CY-001 revoked', 'CY-002 rotated', 'CY-001 rotated']);

    vi.advanceTimersByTime(10 * POLL_MS);
    expect(heard).toHaveLength(3);
  });

  test('a change made through the listening registry is announced once, at once, never again by the poll', () => {
    for (const id of ['CY-001', 'CY-002', 'CY-003']) brokerSide.provision(machine(id));
    listen(brokerSide);

    brokerSide.revoke('CY-001'); // the next version: nothing unseen before it
    expect(heard).toEqual(['CY-001 revoked']);
    dashboardSide.rotateToken('CY-002'); // not polled yet, so the next own change leaves a gap
    brokerSide.rotateToken('CY-003');
    expect(heard).toEqual(['CY-001 revoked', 'CY-003 rotated']);
    vi.advanceTimersByTime(POLL_MS);
    dashboardSide.revoke('CY-003');
    vi.advanceTimersByTime(POLL_MS);
    expect(heard).toEqual(['CY-001 revoked', 'CY-003 rotated', 'CY-002 rotated', 'CY-003 revoked']);
  });

  test('changes of other records and provisioning announce nothing', () => {
    dashboardSide.provision(machine('CY-001'));
    listen(brokerSide);
    dashboardSide.provision(machine('CY-002'));
    dashboardSide.setLifecycle('CY-001', 'paused');
    vi.advanceTimersByTime(3 * POLL_MS);
    expect(heard).toEqual([]);
  });

  test('after the last listener unsubscribes nothing more is announced, and a new listener hears only later changes', () => {
    dashboardSide.provision(machine('CY-001'));
    const unsubscribe = listen(brokerSide);
    unsubscribe();
    dashboardSide.revoke('CY-001');
    vi.advanceTimersByTime(3 * POLL_MS);
    expect(heard).toEqual([]);

    listen(brokerSide);
    vi.advanceTimersByTime(POLL_MS);
    expect(heard).toEqual([]);
    dashboardSide.rotateToken('CY-001');
    vi.advanceTimersByTime(POLL_MS);
    expect(heard).toEqual(['CY-001 rotated']);
  });

  test('with credentialsPollMs 0 only changes through the registry itself are announced', () => {
    const inProcessOnly = openKioskRegistry(file, { credentialsPollMs: 0 });
    try {
      inProcessOnly.provision(machine('CY-001'));
      inProcessOnly.provision(machine('CY-002'));
      listen(inProcessOnly);
      dashboardSide.revoke('CY-001');
      inProcessOnly.revoke('CY-002');
      vi.advanceTimersByTime(3 * POLL_MS);
      expect(heard).toEqual(['CY-002 revoked']);
    } finally {
      inProcessOnly.close();
    }
  });
});

describe('a registry file written before credential changes were counted', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-registry-migrate-'));
    file = join(dir, 'registry.sqlite');
  });
  afterEach(async () => {
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  /** The file as the registry wrote it before its schema had a version. */
  function writeUnversionedRegistry(token: string): void {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(
      `CREATE TABLE kiosks (id TEXT PRIMARY KEY, record TEXT NOT NULL, token_hash TEXT NOT NULL, created_ms INTEGER NOT NULL)`,
    );
    const record = { ...machine('CY-001'), lifecycle: 'active' };
    db.prepare('INSERT INTO kiosks VALUES (?, ?, ?, ?)').run('CY-001', JSON.stringify(record), hashToken(token), 1);
    db.close();
  }

  test('is migrated on open: its machines and tokens are kept, and changes are then seen across connections', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const token = 'a-token-issued-before-the-migration';
    writeUnversionedRegistry(token);
    const broker = openKioskRegistry(file);
    const dashboard = openKioskRegistry(file);
    try {
      expect(broker.get('CY-001')).toMatchObject({ id: 'CY-001', lifecycle: 'active' });
      expect(broker.verifyToken('CY-001', token)).toBe(true);
      const heard: string[] = [];
      broker.onCredentialsChanged((id, change) => heard.push(`${id} ${change}`));
      dashboard.revoke('CY-001');
      vi.advanceTimersByTime(KIOSK_REGISTRY_DEFAULTS.credentialsPollMs);
      expect(heard).toEqual(['CY-001 revoked']);
    } finally {
      broker.close();
      dashboard.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(REGISTRY_SCHEMA_VERSION);
      const plan = db
        .prepare('EXPLAIN QUERY PLAN SELECT id FROM kiosks WHERE credentials_version > ? ORDER BY credentials_version')
        .all(0) as { detail: string }[];
      expect(plan.map((step) => step.detail).join('; ')).toContain('USING INDEX kiosks_by_credentials_version');
    } finally {
      db.close();
    }
  });

  test('a file from a newer schema is refused with REGISTRY_UNAVAILABLE', () => {
    openKioskRegistry(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${REGISTRY_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openKioskRegistry(file)).toThrow(RegistryError);
    expect(() => openKioskRegistry(file)).toThrow(/schema version \d+ is newer/);
  });
});
