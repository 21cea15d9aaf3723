export * from './topics.js';
export * from './timestamp.js';
export * from './events.js';
export * from './status.js';
export * from './telemetry.js';
export * from './commands.js';
export * from './acks.js';
