export * from './delta.js';
