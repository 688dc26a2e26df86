export { parseIpJson } from './ip-json.js';
