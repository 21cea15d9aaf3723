import { encodeSip2 } from '../codec/encode.js';
import { fieldOf, parseSip2 } from '../codec/parse.js';

/** What a simulated library system answers and how: its own status flags and its refusals. */
export interface AcsBehaviour {
  isOnline: boolean;
  isCheckinOk: boolean;
  isCheckoutOk: boolean;
  /** A screen message when this item may not be lent (e.g. `Item on hold for another patron`). */
  refusalOf?: (itemId: string, operation: 'loan' | 'return' | 'renewal') => string | undefined;
  institution: string;
}

const yn = (flag: boolean) => (flag ? 'Y' : 'N');
const BLANK_DATE = ' '.repeat(18);

/**
 * A simulated library system's answer to one SC message (without terminator), or undefined for a
 * message it ignores. Answers echo the request's sequence number and add a checksum when the
 * request had one; a bad checksum is answered with 96 (resend); 97 gets the last answer again.
 * The answer's transaction date is the request's, so a demo is repeatable.
 */
export function createAcsResponder(behaviour: AcsBehaviour): (line: string) => string | undefined {
  let lastAnswer: string | undefined;
  return (line: string) => {
    const parsed = parseSip2(line);
    if (!parsed.ok) return parsed.reason === 'bad_checksum' ? '96' : undefined;
    const m = parsed.message;
    if (m.code === '97') return lastAnswer;
    const seq = m.sequence;
    const date = m.fixed['transactionDate'] ?? BLANK_DATE;
    const ao: [string, string] = ['AO', fieldOf(m, 'AO') ?? behaviour.institution];
    const item = fieldOf(m, 'AB') ?? '';
    const patron: [string, string] = ['AA', fieldOf(m, 'AA') ?? ''];
    let answer: string | undefined;
    switch (m.code) {
      case '93':
        answer = encodeSip2('94', ['1'], [], seq);
        break;
      case '99':
        answer = encodeSip2(
          '98',
          [
            yn(behaviour.isOnline),
            yn(behaviour.isCheckinOk),
            yn(behaviour.isCheckoutOk),
            'Y',
            'N',
            'Y',
            '030',
            '003',
            BLANK_DATE,
            '2.00',
          ],
          [
            ['AO', behaviour.institution],
            ['BX', 'YYYYYYYYYYYYYYYY'],
          ],
          seq,
        );
        break;
      case '11': {
        const refusal = behaviour.refusalOf?.(item, 'loan');
        const fields: [string, string][] = [ao, patron, ['AB', item], ['AJ', 'A simulated title'], ['AH', BLANK_DATE]];
        if (refusal) fields.push(['AF', refusal]);
        answer = encodeSip2('12', [refusal ? '0' : '1', 'N', 'N', 'Y', date], fields, seq);
        break;
      }
      case '09': {
        const refusal = behaviour.refusalOf?.(item, 'return');
        const fields: [string, string][] = [ao, ['AB', item], ['AQ', behaviour.institution]];
        if (refusal) fields.push(['AF', refusal]);
        answer = encodeSip2('10', [refusal ? '0' : '1', 'Y', 'N', 'N', date], fields, seq);
        break;
      }
      case '29': {
        const refusal = behaviour.refusalOf?.(item, 'renewal');
        const fields: [string, string][] = [ao, patron, ['AB', item], ['AJ', 'A simulated title']];
        if (refusal) fields.push(['AF', refusal]);
        answer = encodeSip2('30', [refusal ? '0' : '1', refusal ? 'N' : 'Y', 'N', 'Y', date], fields, seq);
        break;
      }
      case '35':
        answer = encodeSip2('36', ['Y', date], [ao, patron], seq);
        break;
      case '23':
        answer = encodeSip2('24', ['              ', '001', date], [ao, patron, ['AE', 'A reader'], ['BL', 'Y']], seq);
        break;
      case '17':
        answer = encodeSip2(
          '18',
          ['03', '00', '01', date],
          [
            ['AB', item],
            ['AJ', 'A simulated title'],
          ],
          seq,
        );
        break;
      default:
        return undefined;
    }
    lastAnswer = answer;
    return answer;
  };
}
