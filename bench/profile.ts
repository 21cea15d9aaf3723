/**
 * Samples the platform process's CPU during a measurement window with the V8 profiler (the same
 * data as `node --cpu-prof`), writes the `.cpuprofile` (open it in Chrome DevTools or speedscope)
 * and summarises where the time went: by function (self and inclusive) and by package.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of the window the thread was idle (waiting for I/O). */
  idleShare: number;
  bySelf: ProfileRow[];
  byInclusive: ProfileRow[];
  byPackage: ProfileRow[];
}

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export class PlatformProfiler {
  private readonly session = new Session();

  async start(samplingIntervalUs = 500): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await this.session.post('Profiler.start');
  }

  async stop(file: string): Promise<ProfileSummary> {
    const { profile } = (await this.session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    await this.session.post('Profiler.disable');
    this.session.disconnect();
    await writeFile(file, JSON.stringify(profile));
    return summarise(profile, file);
  }
}

/** `aedes`, `mqtt-packet`, `project:collector`, `node:net`, `(garbage collector)`, … */
export function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (path.startsWith(PROJECT_ROOT)) return `project:${path.slice(PROJECT_ROOT.length).split('/')[0]}`;
  if (path.startsWith('node:')) return path;
  return path;
}

function frameName(frame: CallFrame): string {
  const fn = frame.functionName || '(anonymous)';
  if (frame.url === '') return fn;
  const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  const modules = path.lastIndexOf('/node_modules/');
  const short =
    modules >= 0
      ? path.slice(modules + '/node_modules/'.length)
      : path.startsWith(PROJECT_ROOT)
        ? path.slice(PROJECT_ROOT.length)
        : path;
  return `${fn} ${short}:${frame.lineNumber + 1}`;
}

function rows(map: Map<string, number>, totalMs: number, top: number): ProfileRow[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / 1000 / totalMs }));
}

export function summarise(profile: CpuProfile, file: string, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const packages = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    totalUs += us;
    const name = frameName(node.callFrame);
    if (name === '(idle)') {
      idleUs += us;
      continue;
    }
    self.set(name, (self.get(name) ?? 0) + us);
    const pkg = packageOf(node.callFrame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      const key = frameName(frame);
      if (key === '(root)' || seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const totalMs = totalUs / 1000;
  return {
    file,
    totalMs,
    idleShare: totalUs === 0 ? 0 : idleUs / totalUs,
    bySelf: rows(self, totalMs, top),
    byInclusive: rows(inclusive, totalMs, top),
    byPackage: rows(packages, totalMs, top),
  };
}

export function formatProfile(summary: ProfileSummary, title: string): string {
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  const table = (heading: string, list: ProfileRow[]) =>
    [
      `| ${heading} | ms | share of window |`,
      '|---|---:|---:|',
      ...list.map((r) => `| \`${r.name.replace(/\|/g, '\\|')}\` | ${r.ms.toFixed(0)} | ${pct(r.share)} |`),
    ].join('\n');
  return [
    `### Profile: ${title}`,
    '',
    `Window ${summary.totalMs.toFixed(0)} ms sampled, main thread idle ${pct(summary.idleShare)}. Raw profile: \`${summary.file}\`.`,
    '',
    table('package (self time)', summary.byPackage.slice(0, 15)),
    '',
    table('function (self time)', summary.bySelf),
    '',
    table('function (inclusive time)', summary.byInclusive),
    '',
  ].join('\n');
}
