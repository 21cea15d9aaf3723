import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { kioskIdSchema, type KioskId } from '../../protocol/topics.js';

/**
 * Which machine is behind a SIP2 connection, with the credentials the bridge speaks MQTT with on
 * its behalf. CSV columns `kiosk_id,token,login_user_id,location_code,address`; the last three may
 * be empty. The file holds every machine's token, so it must be readable by its owner only.
 */
export interface MappedMachine {
  kioskId: KioskId;
  token: string;
  loginUserId?: string;
  locationCode?: string;
  address?: string;
}

export interface MachineMapping {
  readonly machines: readonly MappedMachine[];
  byLoginUserId(id: string): MappedMachine | undefined;
  byLocationCode(code: string): MappedMachine | undefined;
  byAddress(address: string): MappedMachine | undefined;
}

export class MappingError extends Error {
  constructor(
    readonly code: 'SIP2_MAP_UNREADABLE' | 'SIP2_MAP_PERMISSIONS' | 'SIP2_MAP_INVALID',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const optional = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v));

const rowSchema = z.strictObject({
  kiosk_id: kioskIdSchema,
  token: z.string().trim().min(1, 'token is required'),
  login_user_id: optional,
  location_code: optional,
  address: optional.refine((v) => v === undefined || isIP(v) !== 0, 'address must be an IP address'),
});

/** `::ffff:10.0.0.5` is how an IPv4 peer appears on a dual-stack socket. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function parseMapping(csv: string, source = 'mapping'): MachineMapping {
  let rows: Record<string, string>[];
  try {
    rows = parse(csv, { columns: true, skip_empty_lines: true, trim: true, comment: '#' });
  } catch (cause) {
    throw new MappingError('SIP2_MAP_INVALID', `${source}: not a CSV file: ${(cause as Error).message}`, { cause });
  }
  const machines: MappedMachine[] = [];
  const problems: string[] = [];
  const indexes = {
    login: new Map<string, MappedMachine>(),
    location: new Map<string, MappedMachine>(),
    address: new Map<string, MappedMachine>(),
  };
  const ids = new Set<string>();
  rows.forEach((row, i) => {
    const line = i + 2;
    const parsed = rowSchema.safeParse(row);
    if (!parsed.success) {
      // Never echo the row: it holds a token.
      problems.push(
        `line ${line}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'row'}: ${issue.message}`).join('; ')}`,
      );
      return;
    }
    const r = parsed.data;
    const machine: MappedMachine = {
      kioskId: r.kiosk_id,
      token: r.token,
      ...(r.login_user_id ? { loginUserId: r.login_user_id } : {}),
      ...(r.location_code ? { locationCode: r.location_code } : {}),
      ...(r.address ? { address: normaliseAddress(r.address) } : {}),
    };
    if (ids.has(machine.kioskId)) problems.push(`line ${line}: kiosk ${machine.kioskId} appears twice`);
    ids.add(machine.kioskId);
    for (const [name, index, key] of [
      ['login_user_id', indexes.login, machine.loginUserId],
      ['location_code', indexes.location, machine.locationCode],
      ['address', indexes.address, machine.address],
    ] as const) {
      if (key === undefined) continue;
      if (index.has(key)) problems.push(`line ${line}: ${name} ${key} already names ${index.get(key)!.kioskId}`);
      else index.set(key, machine);
    }
    machines.push(machine);
  });
  if (problems.length > 0) throw new MappingError('SIP2_MAP_INVALID', `${source}: ${problems.join('; ')}`);
  return Object.freeze({
    machines,
    byLoginUserId: (id: string) => indexes.login.get(id),
    byLocationCode: (code: string) => indexes.location.get(code),
    byAddress: (address: string) => indexes.address.get(normaliseAddress(address)),
  });
}

/** Reads the mapping file; refuses it when group or others may read or write it. */
export function loadMapping(file: string): MachineMapping {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (cause) {
    throw new MappingError('SIP2_MAP_UNREADABLE', `cannot read SIP2_MAP ${file}: ${(cause as Error).message}`, { cause });
  }
  if ((mode & 0o077) !== 0) {
    throw new MappingError(
      'SIP2_MAP_PERMISSIONS',
      `SIP2_MAP ${file} holds machine tokens but is open to others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`,
    );
  }
  return parseMapping(readFileSync(file, 'utf8'), file);
}
