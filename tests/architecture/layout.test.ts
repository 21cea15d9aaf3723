import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', 'data', 'coverage', '.bench']);

/** Every TypeScript source of the project, relative to its root. */
function sourceFiles(dir = ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIPPED_DIRS.has(name) || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [relative(ROOT, path)] : [];
  });
}

const FILES = sourceFiles();
const KNOWN = new Set(FILES);

/** The project files a file imports (relative specifiers only; `.js` resolved to its `.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const base = normalize(join(dirname(file), match[1]!));
    const candidate = [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), `${base}.ts`, `${base}.tsx`].find((c) =>
      KNOWN.has(c),
    );
    if (candidate) found.push(candidate);
  }
  return found;
}

const GRAPH = new Map(FILES.map((f) => [f, importsOf(f)]));

/** Strongly connected components with more than one file (Tarjan): the import cycles. */
function importCycles(): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of GRAPH.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const f of FILES) if (!index.has(f)) visit(f);
  return cycles;
}

describe('the layout the architecture promises (docs/architecture.md)', () => {
  test('the import graph has no cycle', () => {
    expect(FILES.length).toBeGreaterThan(100);
    expect(importCycles()).toEqual([]);
  });

  // The machine-side parts and what they share depend only on the wire and the shared time module.
  test.each(['agent/', 'sip2/', 'simulator/', 'protocol/', 'time/'])(
    '%s depends on nothing in collector/ or dashboard/',
    (folder) => {
      const inFolder = FILES.filter((f) => f.startsWith(folder));
      expect(inFolder.length).toBeGreaterThan(0);
      const offending = inFolder.flatMap((f) =>
        GRAPH.get(f)!
          .filter((dep) => dep.startsWith('collector/') || dep.startsWith('dashboard/'))
          .map((dep) => `${f} → ${dep}`),
      );
      expect(offending).toEqual([]);
    },
  );

  test('collector/domain/ imports no I/O and reads no clock or environment', () => {
    const offending = FILES.filter((f) => f.startsWith('collector/domain/')).filter((f) => {
      const text = readFileSync(join(ROOT, f), 'utf8');
      return (
        /from ['"](node:|better-sqlite3|mqtt|aedes|express|socket\.io|pino|@influxdata)/.test(text) ||
        /Date\.now\(\)|process\.env/.test(text)
      );
    });
    expect(offending).toEqual([]);
  });

  test('a source file over 400 lines says near its top why it is long', () => {
    const unexplained = FILES.filter((f) => {
      const lines = readFileSync(join(ROOT, f), 'utf8').split('\n');
      return lines.length > 400 && !lines.slice(0, 40).some((l) => /long because|why (it|this file) is long/i.test(l));
    });
    expect(unexplained).toEqual([]);
  });
});
