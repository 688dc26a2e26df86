export { parseIpJson } from './ip-json.js';
export { ParseError } from './errors.js';
export * from './kernel/index.js';
export * from './daemons/index.js';
