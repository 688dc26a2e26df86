export * from './fact.js';
export * from './keys.js';
export * from './messages.js';
export * from './protocol.js';
export * from './protocol-schemas.js';
export type * from './topology.js';
export * from './checks.js';
export * from './alerts.js';
export type * from './kubernetes.js';
