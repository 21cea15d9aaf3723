/**
 * The SIP2 2.00 messages the bridge reads: each one's fixed-length fields, in order, with their
 * widths. Variable fields follow as `{2-letter id}{value}|`. Codes listed with no fixed fields are
 * known and forwarded, but the bridge records nothing from them.
 */
export interface FixedField {
  name: string;
  width: number;
}

export interface MessageSpec {
  name: string;
  fixed: readonly FixedField[];
  /** True when the fixed fields hold reader data (patron status bits): never kept or logged. */
  hasPatronFixedFields?: boolean;
}

const f = (name: string, width: number): FixedField => ({ name, width });
const DATE = 18;

export const MESSAGE_SPECS: Readonly<Record<string, MessageSpec>> = {
  '93': { name: 'login', fixed: [f('uidAlgorithm', 1), f('pwdAlgorithm', 1)] },
  '94': { name: 'login response', fixed: [f('ok', 1)] },
  '99': { name: 'sc status', fixed: [f('statusCode', 1), f('maxPrintWidth', 3), f('protocolVersion', 4)] },
  '98': {
    name: 'acs status',
    fixed: [
      f('onLine', 1),
      f('checkinOk', 1),
      f('checkoutOk', 1),
      f('renewalPolicy', 1),
      f('statusUpdateOk', 1),
      f('offLineOk', 1),
      f('timeoutPeriod', 3),
      f('retriesAllowed', 3),
      f('dateTimeSync', DATE),
      f('protocolVersion', 4),
    ],
  },
  '11': {
    name: 'checkout',
    fixed: [f('scRenewalPolicy', 1), f('noBlock', 1), f('transactionDate', DATE), f('nbDueDate', DATE)],
  },
  '12': {
    name: 'checkout response',
    fixed: [f('ok', 1), f('renewalOk', 1), f('magneticMedia', 1), f('desensitize', 1), f('transactionDate', DATE)],
  },
  '09': { name: 'checkin', fixed: [f('noBlock', 1), f('transactionDate', DATE), f('returnDate', DATE)] },
  '10': {
    name: 'checkin response',
    fixed: [f('ok', 1), f('resensitize', 1), f('magneticMedia', 1), f('alert', 1), f('transactionDate', DATE)],
  },
  '29': {
    name: 'renew',
    fixed: [f('thirdPartyAllowed', 1), f('noBlock', 1), f('transactionDate', DATE), f('nbDueDate', DATE)],
  },
  '30': {
    name: 'renew response',
    fixed: [f('ok', 1), f('renewalOk', 1), f('magneticMedia', 1), f('desensitize', 1), f('transactionDate', DATE)],
  },
  '35': { name: 'end patron session', fixed: [f('transactionDate', DATE)] },
  '36': { name: 'end session response', fixed: [f('endSession', 1), f('transactionDate', DATE)] },
  '23': { name: 'patron status request', fixed: [f('language', 3), f('transactionDate', DATE)] },
  '24': {
    name: 'patron status response',
    fixed: [f('patronStatus', 14), f('language', 3), f('transactionDate', DATE)],
    hasPatronFixedFields: true,
  },
  '63': { name: 'patron information', fixed: [f('language', 3), f('transactionDate', DATE), f('summary', 10)] },
  '64': {
    name: 'patron information response',
    fixed: [
      f('patronStatus', 14),
      f('language', 3),
      f('transactionDate', DATE),
      f('holdItemsCount', 4),
      f('overdueItemsCount', 4),
      f('chargedItemsCount', 4),
      f('fineItemsCount', 4),
      f('recallItemsCount', 4),
      f('unavailableHoldsCount', 4),
    ],
    hasPatronFixedFields: true,
  },
  '17': { name: 'item information', fixed: [f('transactionDate', DATE)] },
  '18': {
    name: 'item information response',
    fixed: [f('circulationStatus', 2), f('securityMarker', 2), f('feeType', 2), f('transactionDate', DATE)],
  },
  '96': { name: 'request sc resend', fixed: [] },
  '97': { name: 'request acs resend', fixed: [] },
  // Known and forwarded, nothing recorded: block patron, hold, item status update, patron enable,
  // fee paid, renew all, and their responses.
  '01': { name: 'block patron', fixed: [] },
  '15': { name: 'hold', fixed: [] },
  '16': { name: 'hold response', fixed: [] },
  '19': { name: 'item status update', fixed: [] },
  '20': { name: 'item status update response', fixed: [] },
  '25': { name: 'patron enable', fixed: [] },
  '26': { name: 'patron enable response', fixed: [] },
  '37': { name: 'fee paid', fixed: [] },
  '38': { name: 'fee paid response', fixed: [] },
  '65': { name: 'renew all', fixed: [] },
  '66': { name: 'renew all response', fixed: [] },
};

/** Codes whose fixed fields are only partly specified above: their variable fields are not read. */
export const OPAQUE_CODES: ReadonlySet<string> = new Set(['01', '15', '16', '19', '20', '25', '26', '37', '38', '65', '66']);

export function fixedLength(spec: MessageSpec): number {
  return spec.fixed.reduce((sum, field) => sum + field.width, 0);
}
