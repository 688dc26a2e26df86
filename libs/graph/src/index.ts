export * from './delta.js';
export * from './cni-style.js';
export * from './topology.js';
export * from './checks.js';
export { parseIp, type Ip } from './topology-ip.js';
export * from './topology-incremental.js';
export * from './forwarding.js';
export * from './bgp-paths.js';
export * from './pod-ranges.js';
