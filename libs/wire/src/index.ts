export * from './fact.js';
export * from './keys.js';
export * from './messages.js';
