import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

// The web app's styles take every colour from one file of tokens (web/src/styles/tokens.css): a
// colour is changed, and its contrast checked, in one place. These tests hold the other style files
// to that, and keep the entry's list of imports and the tokens in step with what the files use.
const SRC = join(import.meta.dirname, '../../web/src');
const ENTRY = join(SRC, 'style.css');
const TOKENS = join(SRC, 'styles/tokens.css');

function cssFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return cssFilesUnder(path);
    return entry.name.endsWith('.css') ? [path] : [];
  });
}

/** The text with its comments blanked out, lines kept, so a colour named in a comment is no colour used. */
const withoutComments = (css: string) => css.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '));

const NAMED_COLOURS = (
  'white black red green blue yellow orange purple pink brown gray grey silver maroon navy teal olive lime aqua ' +
  'fuchsia gold crimson tomato'
).split(' ');
const COLOUR = new RegExp(
  ['#[0-9a-f]{3,8}\\b', '\\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\\(', `\\b(?:${NAMED_COLOURS.join('|')})\\b`].join('|'),
  'gi',
);

/** Every colour literal in the values of a style file's declarations, as "line: text". */
function colourLiteralsIn(css: string): string[] {
  const found: string[] = [];
  const text = withoutComments(css);
  // A declaration's value runs from its colon to the `;` or `}` that ends it (never over a `{`: selectors are skipped).
  for (const declaration of text.matchAll(/(--[\w-]+|[a-z-]+)\s*:([^;{}]+)(?=[;}])/gi)) {
    const [, property, value] = declaration;
    // Names of custom properties (`var(--warn-text)`) are words, not colours.
    const bare = value!.replace(/--[\w-]+/g, '');
    for (const colour of bare.matchAll(COLOUR)) {
      const line = text.slice(0, declaration.index).split('\n').length;
      found.push(`${line}: ${property}:${value!.trim()} (${colour[0]})`);
    }
  }
  return found;
}

const FILES = cssFilesUnder(SRC);
const tokens = readFileSync(TOKENS, 'utf8');
const defined = new Set([...withoutComments(tokens).matchAll(/(--[\w-]+)\s*:/g)].map((m) => m[1]!));

describe("the web app's styles take their colours from the tokens", () => {
  test('the check finds a colour literal in each of its forms, and none in a comment or a token name', () => {
    expect(colourLiteralsIn('.a {\n  color: #fff;\n}')).toEqual(['2: color:#fff (#fff)']);
    expect(colourLiteralsIn('.a { box-shadow: 0 0 0 2px rgb(0 0 0 / 30%); }')).toHaveLength(1);
    expect(colourLiteralsIn('.a { border: 1px solid white; }')).toHaveLength(1);
    expect(colourLiteralsIn('.a { background: hsl(0 0% 100%); }')).toHaveLength(1);
    expect(
      colourLiteralsIn('/* #fff */ #main .a:focus { color: var(--warn-text, var(--on-white)); background: transparent; }'),
    ).toEqual([]);
  });

  test('there are style files besides the tokens, and the tokens hold colours', () => {
    expect(FILES.length).toBeGreaterThan(5);
    expect(colourLiteralsIn(tokens).length).toBeGreaterThan(20);
  });

  test.each(FILES.filter((f) => f !== TOKENS).map((f) => relative(SRC, f)))('%s has no colour literal', (file) => {
    expect(colourLiteralsIn(readFileSync(join(SRC, file), 'utf8'))).toEqual([]);
  });

  test('in the tokens file, colours are only the values of custom properties', () => {
    const outsideProperties = colourLiteralsIn(tokens).filter((found) => !/^\d+: --/.test(found));
    expect(outsideProperties).toEqual([]);
  });

  test.each(FILES.map((f) => relative(SRC, f)))('every token %s uses is defined', (file) => {
    const used = [...withoutComments(readFileSync(join(SRC, file), 'utf8')).matchAll(/var\((--[\w-]+)/g)].map((m) => m[1]!);
    expect(used.filter((name) => !defined.has(name))).toEqual([]);
  });

  test('the entry imports every style file once, and each import exists', () => {
    const imports = [...withoutComments(readFileSync(ENTRY, 'utf8')).matchAll(/@import\s+['"]([^'"]+)['"]/g)].map((m) =>
      join(dirname(ENTRY), m[1]!),
    );
    expect(imports.filter((path) => !existsSync(path))).toEqual([]);
    expect(new Set(imports).size).toBe(imports.length);
    expect(imports[0]).toBe(TOKENS);
    expect([...imports].sort()).toEqual(FILES.filter((f) => f !== ENTRY).sort());
  });

  test('the scripts take the colours they draw (charts, map, tiles) from the tokens too', () => {
    const scripts = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return scripts(path);
        return /\.tsx?$/.test(entry.name) ? [path] : [];
      });
    const HEX_OR_FUNCTION = /['"`](?:#[0-9a-f]{3,8}|(?:rgba?|hsla?)\()/gi;
    const found = scripts(SRC).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(HEX_OR_FUNCTION)].map((m) => `${relative(SRC, file)}: ${m[0]}`),
    );
    expect(scripts(SRC).length).toBeGreaterThan(20);
    expect(HEX_OR_FUNCTION.test("color: '#1f5fbf'")).toBe(true);
    expect(found).toEqual([]);
  });

  test('a colour the scripts name is read from the tokens, and a name the tokens lack fails loudly', async () => {
    const { PALETTE, token } = await import('../../web/src/palette.js');
    expect(token('--accent')).toBe(/--accent:\s*([^;]+);/.exec(tokens)![1]);
    expect(Object.values(PALETTE).every((value) => /^#[0-9a-f]{6}$/i.test(value))).toBe(true);
    expect(() => token('--no-such-colour')).toThrow(/tokens\.css defines no --no-such-colour/);
  });
});
