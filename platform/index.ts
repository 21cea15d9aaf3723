/** What commands, tests and benchmarks start the platform, or parts of it, through. */
export { startEmbeddedBroker } from './embedded-broker.js';
export { type Foundation, openFoundation, REFERENCE_DIR, REFERENCE_MACHINE_COUNT, simulationStartMs } from './foundation.js';
export { startSimulator } from './simulation.js';
export { type PlatformParts, type RunningPlatform, startPlatform } from './start-platform.js';
export { retentionPolicyOf } from './storage.js';
export { ensureSimulatedCredentials, readSimulatedCredentials } from './sim-credentials.js';
