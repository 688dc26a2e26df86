export { factId } from './fact-id.js';
