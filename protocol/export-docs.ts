import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildAsyncApiDocument } from './asyncapi.js';
import { buildPayloadJsonSchemas, PAYLOAD_NAMES, payloadSchemaFileName } from './json-schema.js';

/**
 * Writes the published wire contract (`npm run docs:protocol`):
 *   docs/protocol/asyncapi.json
 *   docs/protocol/schemas/{payload}.schema.json
 * `--check` writes nothing and exits 1 when the committed files differ from what the schemas give.
 * `--out DIR` writes somewhere else (default `docs/protocol`, relative to the working directory).
 */

export const DEFAULT_DOCS_DIR = 'docs/protocol';
export const SCHEMAS_SUBDIR = 'schemas';

/** JSON with object keys sorted at every depth, 2-space indent and a trailing newline. */
export function toStableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([key, child]) => [key, sortKeys(child)]));
  }
  return value;
}

/** Every generated file, by its path relative to the docs directory (POSIX separators), with its text. */
export function renderProtocolDocs(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('asyncapi.json', toStableJson(buildAsyncApiDocument()));
  const schemas = buildPayloadJsonSchemas();
  for (const name of PAYLOAD_NAMES) {
    files.set(`${SCHEMAS_SUBDIR}/${payloadSchemaFileName(name)}`, toStableJson(schemas[name]));
  }
  return files;
}

/** Paths (relative to `docsDir`) whose content differs from `files`, is missing, or is a stale schema file. */
export async function findStaleDocs(docsDir: string, files: Map<string, string>): Promise<string[]> {
  const stale: string[] = [];
  for (const [path, text] of files) {
    const current = await readFile(join(docsDir, path), 'utf8').catch(() => undefined);
    if (current !== text) stale.push(path);
  }
  for (const path of await listSchemaFiles(docsDir)) {
    if (!files.has(path)) stale.push(path);
  }
  return stale;
}

async function listSchemaFiles(docsDir: string): Promise<string[]> {
  const names = await readdir(join(docsDir, SCHEMAS_SUBDIR)).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith('.schema.json')).map((name) => `${SCHEMAS_SUBDIR}/${name}`);
}

/** Writes `files` under `docsDir` and removes schema files no payload produces any more. */
export async function writeProtocolDocs(docsDir: string, files: Map<string, string>): Promise<void> {
  await mkdir(join(docsDir, SCHEMAS_SUBDIR), { recursive: true });
  for (const path of await listSchemaFiles(docsDir)) {
    if (!files.has(path)) await rm(join(docsDir, path));
  }
  for (const [path, text] of files) await writeFile(join(docsDir, path), text, 'utf8');
}

async function main(argv: readonly string[]): Promise<number> {
  const outIndex = argv.indexOf('--out');
  const docsDir = resolve(outIndex >= 0 ? (argv[outIndex + 1] ?? DEFAULT_DOCS_DIR) : DEFAULT_DOCS_DIR);
  const files = renderProtocolDocs();
  if (argv.includes('--check')) {
    const stale = await findStaleDocs(docsDir, files);
    if (stale.length === 0) return 0;
    console.error(`Out of date in ${docsDir}: ${stale.join(', ')}. Run npm run docs:protocol.`);
    return 1;
  }
  await writeProtocolDocs(docsDir, files);
  console.log(`Wrote ${files.size} files to ${docsDir}`);
  return 0;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  process.exitCode = await main(process.argv.slice(2));
}
