// The fact model without its runtime schemas: types, keys and makeFact. Parsers, the delta engine
// and the collector import this entry, so the node agent never loads zod (~20 MB of RSS); the API
// and the browser validate with the schemas from the main entry.
export * from './keys.js';
export type * from './fact.js';
export type * from './messages.js';
export * from './protocol.js';
export * from './snapshot-parts.js';
export * from './trace.js';
export type * from './topology.js';
export * from './topology-bytes.js';
export * from './checks.js';
export * from './alerts.js';
export type * from './kubernetes.js';
export * from './auth.js';
export type * from './rest.js';
export * from './content-coding.js';
