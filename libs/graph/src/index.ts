export * from './delta.js';
export * from './cni-style.js';
