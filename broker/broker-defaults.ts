import { REFUSAL_BUDGET_DEFAULTS } from './refusal-budget.js';

/**
 * The embedded broker's defaults, apart from the broker itself (which loads aedes) so the
 * configuration schema can take its defaults from here instead of copying the numbers.
 */
export const BROKER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  wsPort: null,
  maxPacketBytes: 256 * 1024,
  connectTimeoutMs: 10_000,
  serviceNames: Object.freeze(['collector', 'dashboard']),
  maxConnections: 20_000,
  connectRatePerAddress: 30,
  connectBurstPerAddress: 100,
  publishRatePerKiosk: 60,
  publishBurstPerKiosk: 3_000,
  offlineQueueMaxMessages: 100_000,
  maxRefusalsPerConnection: REFUSAL_BUDGET_DEFAULTS.maxPerConnection,
});
