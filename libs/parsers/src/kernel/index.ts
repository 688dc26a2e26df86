// Pure parsers for the kernel sources: iproute2 JSON text in, facts out.
export { parseLinks } from './links.js';
export { parseAddrs } from './addrs.js';
export { parseRoutes, type RouteFamily } from './routes.js';
export { parseNeighbors } from './neighbors.js';
export { parseRules } from './rules.js';
export { parseSysctls } from './sysctls.js';
export { SYSCTL_GREP_ARGS } from './sysctl-files.js';
export { parseFdb } from './fdb.js';
export { parseMonitorEvent, type MonitorEvent } from './monitor.js';
export { parseCniRecords, CNI_GREP_ARGS } from './cni-records.js';
