// A route fact as `ip route` prints it, so a diff reads like the before/after an engineer takes
// by hand: `10.233.3.0/24 via 172.20.0.13 dev eth0 proto 17`.
import type { RouteValue } from '@netatlas/wire/core';

export function formatRoute(r: RouteValue): string {
  const parts: string[] = [];
  if (r.type !== 'unicast') parts.push(r.type);
  parts.push(r.dst);
  if (r.nexthops.length === 0) {
    if (r.gateway !== null) parts.push('via', r.gateway);
    if (r.dev !== null) parts.push('dev', r.dev);
  }
  if (r.table !== 'main') parts.push('table', r.table);
  if (r.protocol !== 'boot' && r.protocol !== '') parts.push('proto', r.protocol);
  if (r.scope !== 'global' && r.scope !== '' && r.scope !== 'universe') parts.push('scope', r.scope);
  if (r.prefsrc !== null) parts.push('src', r.prefsrc);
  if (r.metric !== 0) parts.push('metric', String(r.metric));
  if (r.tos !== 0) parts.push('tos', String(r.tos));
  parts.push(...r.flags);
  for (const nh of r.nexthops) {
    parts.push('nexthop');
    if (nh.gateway !== null) parts.push('via', nh.gateway);
    if (nh.dev !== null) parts.push('dev', nh.dev);
    if (nh.weight !== null) parts.push('weight', String(nh.weight));
    parts.push(...nh.flags);
  }
  return parts.join(' ');
}

/** The next hop(s) of a route in a few words: `172.20.0.13`, `dev kube-bridge`, `3 nexthops`. */
export function routeVia(r: RouteValue): string {
  if (r.nexthops.length > 0) return r.nexthops.map((nh) => nh.gateway ?? `dev ${nh.dev ?? '?'}`).join(', ');
  if (r.gateway !== null) return r.gateway;
  return '';
}
