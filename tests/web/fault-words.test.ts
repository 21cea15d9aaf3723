import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { COMPONENTS } from '../../protocol/events.js';
import { FAULTS } from '../../sip2/bridge/machine-link.js';
import { en } from '../../web/src/messages-en.js';
import { zh } from '../../web/src/messages-zh.js';

// The page's one fault-word table (web/src/fault-words.ts) reads the messages' fault_<CODE> and
// component_<component> keys: every code a machine, the SIP2 bridge or the collector can raise
// must have words in both languages, or a crew reads a bare vendor code.
const catalogueCodes = readFileSync(new URL('../../reference/fault-catalogue.csv', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(',')[1]!);
const codes = [...catalogueCodes, ...Object.values(FAULTS).map((f) => f.code), 'OFFLINE', 'NOT_LENDING'];
const messages = { en: en as Record<string, string>, zh: zh as Record<string, string> };

describe('every fault has words in both languages', () => {
  test('the catalogue and the bridge are both read', () => {
    expect(catalogueCodes).toContain('BIN_FULL');
    expect(codes).toContain('SIP2_ACS_UNREACHABLE');
  });

  test.each(codes.flatMap((code) => (['en', 'zh'] as const).map((lang) => [code, lang] as const)))('%s in %s', (code, lang) => {
    expect(messages[lang][`fault_${code}`], `fault_${code}`).toBeTruthy();
  });

  test.each(COMPONENTS.flatMap((c) => (['en', 'zh'] as const).map((lang) => [c, lang] as const)))(
    'component %s in %s (for a code newer than the page)',
    (component, lang) => {
      expect(messages[lang][`component_${component}`], `component_${component}`).toBeTruthy();
    },
  );
});
