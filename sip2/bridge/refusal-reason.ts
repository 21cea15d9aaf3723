import type { RefusalReason } from '../../protocol/events.js';

/**
 * SIP2 gives no reason code for a refused checkout, checkin or renewal; library systems put one
 * in the screen message (AF), in English or Chinese. The message itself may name the reader, so
 * it is only matched against these words and never kept.
 */
const RULES: ReadonlyArray<readonly [RefusalReason, RegExp]> = [
  [
    'renewal_limit',
    /renew(al)?s? (limit|exceeded|max)|max(imum)? renewals|too many renewals|续借(次数)?已达|不能再续借|续借上限/i,
  ],
  ['item_on_hold', /\bhold\b|reserved|reservation|预约|预留/i],
  [
    'item_not_for_loan',
    /not for loan|non-?circulating|reference only|cannot be (checked out|borrowed)|不外借|不可外借|仅供阅览/i,
  ],
  ['item_unknown', /item (not found|unknown)|unknown item|no such item|invalid item|条码(不存在|无效)|图书不存在/i],
  ['fees_owed', /\bfines?\b|\bfees?\b|owe|\bdebt\b|欠款|罚款|欠费/i],
  ['patron_expired', /expired|过期|到期/i],
  ['loan_limit', /limit|too many|maximum|上限|超过.*(册|本)|已借满/i],
  ['patron_blocked', /block|barred|suspend|lost card|invalid patron|冻结|停用|挂失|暂停借阅|黑名单/i],
];

export function classifyRefusal(screenMessage: string | undefined): RefusalReason {
  if (screenMessage === undefined || screenMessage.trim() === '') return 'other';
  for (const [reason, pattern] of RULES) if (pattern.test(screenMessage)) return reason;
  return 'other';
}
