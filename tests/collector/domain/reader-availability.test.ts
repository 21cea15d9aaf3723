import { expect, test } from 'vitest';
import { type ReaderAvailabilityInput, readerAvailabilityOf } from '../../../collector/domain/reader-availability.js';

const base: ReaderAvailabilityInput = {
  state: 'in_service',
  blockingComponents: [],
  isNotLending: false,
  isCheckoutAllowed: null,
};

test.each<[string, Partial<ReaderAvailabilityInput>, string]>([
  ['in service, library system unknown', {}, 'lending'],
  ['degraded (receipt paper out)', { state: 'degraded' }, 'lending'],
  ['in service, library system allows checkout', { isCheckoutAllowed: true }, 'lending'],
  ['in service, library system refuses checkout', { isCheckoutAllowed: false }, 'returns_only'],
  ['in service but not lending (silent failure)', { isNotLending: true }, 'closed'],
  ['shelf transport jammed', { state: 'out_of_service', blockingComponents: ['shelf_mechanism'] }, 'returns_only'],
  ['shelf jammed and RFID down', { state: 'out_of_service', blockingComponents: ['shelf_mechanism', 'rfid_reader'] }, 'closed'],
  ['RFID reader down', { state: 'out_of_service', blockingComponents: ['rfid_reader'] }, 'closed'],
  ['offline', { state: 'offline' }, 'closed'],
  ['paused', { state: 'paused' }, 'closed'],
  ['withdrawn', { state: 'withdrawn' }, 'closed'],
  ['in maintenance', { state: 'maintenance' }, 'closed'],
  ['unknown', { state: 'unknown' }, 'closed'],
])('%s: %s', (_name, input, expected) => {
  expect(readerAvailabilityOf({ ...base, ...input })).toBe(expected);
});
