// Pure parsers for the kernel sources: iproute2 JSON text in, facts out.
export { parseLinks } from './links.js';
export { parseAddrs } from './addrs.js';
export { parseRoutes, type RouteFamily } from './routes.js';
export { parseNeighbors } from './neighbors.js';
export { parseFdb } from './fdb.js';
export { parseMonitorEvent, type MonitorEvent } from './monitor.js';
