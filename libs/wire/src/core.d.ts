export * from './keys.js';
export type * from './fact.js';
export type * from './messages.js';
