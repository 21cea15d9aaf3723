import type { z } from 'zod';
import { CONFIG_KEYS, configSchema, keyToFlag } from '../config/config.js';

/** The commands, in the order `--help` lists them. */
export const COMMANDS = {
  start: { args: '', summary: 'broker, collector, dashboard and the simulated fleet in one process' },
  broker: { args: '', summary: 'the embedded MQTT broker alone' },
  collector: { args: '', summary: 'collector and dashboard, against MQTT_URL (or the local broker)' },
  simulator: { args: '', summary: 'the simulated fleet alone, against MQTT_URL' },
  'sip2-bridge': {
    args: '',
    summary: 'SIP2 proxy between machines and their library system, reporting to MQTT_URL (docs/sip2.md)',
  },
  provision: {
    args: '--id ID --name NAME ...',
    summary: 'register one machine (--district --lat --lon ...) and print its MQTT token',
  },
  'import-kiosks': { args: 'FILE', summary: 'register the machines of a CSV file; prints id,token for the new ones' },
  replay: {
    args: '--year 2023',
    summary: 'the whole year for the simulated fleet, into the running platform, as fast as it acks',
  },
  backup: {
    args: 'FILE',
    summary: 'copy everything in DATA_DIR into FILE (a .tar.gz), also while the platform runs',
  },
  restore: {
    args: 'FILE',
    summary: 'unpack a backup into DATA_DIR, which must be empty and not in use',
  },
} as const;
export type CommandName = keyof typeof COMMANDS;
export const isCommandName = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

/** How a default reads on the command line: what one would type to get it. */
function formatDefault(value: unknown): string {
  if (value === undefined) return 'unset';
  if (value === null) return 'off';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** A setting's default as declared in the configuration schema (`.default()` or `.prefault()`). */
function defaultOf(schema: z.ZodType): unknown {
  const def = schema.def as { type: string; defaultValue?: unknown };
  return def.type === 'default' || def.type === 'prefault' ? def.defaultValue : undefined;
}

/** Every setting with its flag, default and description, read from the configuration schema itself. */
export function describeSettings(): string {
  const lines = ['Settings (environment variable, or the flag; a flag wins):'];
  for (const key of CONFIG_KEYS) {
    const schema = configSchema.shape[key] as z.ZodType;
    lines.push(`  ${key}  --${keyToFlag(key)}  (default: ${formatDefault(defaultOf(schema))})`);
    if (schema.description) lines.push(`      ${schema.description}`);
  }
  return lines.join('\n');
}

export function usage(): string {
  const width = Math.max(...Object.entries(COMMANDS).map(([name, c]) => `${name} ${c.args}`.length));
  const commands = Object.entries(COMMANDS).map(([name, c]) => `  ${`${name} ${c.args}`.padEnd(width)}  ${c.summary}`);
  return [
    'kiosk-fleet <command> [--setting value ...]',
    '',
    'Commands:',
    ...commands,
    '',
    "kiosk-fleet <command> --help tells one command's arguments.",
    '',
    describeSettings(),
  ].join('\n');
}

export function commandUsage(name: CommandName): string {
  const c = COMMANDS[name];
  return [`kiosk-fleet ${name} ${c.args}`.trimEnd(), '', `  ${c.summary}`, '', describeSettings()].join('\n');
}
