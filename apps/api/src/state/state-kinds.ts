// Which facts the current state holds: what the topology draws, and what the expected-state checks
// read besides (the daemons' origins, kube-router's two checked ipsets).
import { KUBE_ROUTER_NODE_IPS, KUBE_ROUTER_POD_SUBNETS } from '@netatlas/graph';
import type { FactKind } from '@netatlas/wire/core';

/** The kinds the topology is derived from (ipsets and IPVS services do not draw; the CNI's records name pods' addresses). */
export const TOPOLOGY_KINDS: readonly FactKind[] = ['link', 'addr', 'route', 'neigh', 'fdb', 'bgpSession', 'cniAddr', 'node'];

/** What the checks read: what the topology reads, plus kube-router's ipsets and the daemons' origins. */
export const CHECK_KINDS: readonly FactKind[] = ['link', 'addr', 'route', 'neigh', 'fdb', 'bgpSession', 'cniAddr', 'bgpOrigin', 'node', 'ipset', 'ipsetMember'];

const CHECKED_SETS = new Set([KUBE_ROUTER_POD_SUBNETS, KUBE_ROUTER_NODE_IPS]);
const TOPOLOGY = new Set(TOPOLOGY_KINDS);
const CHECKS = new Set(CHECK_KINDS);

/** Whether the topology reads facts of this kind. */
export function drawn(kind: FactKind): boolean {
  return TOPOLOGY.has(kind);
}

/**
 * Whether a fact belongs to the current state: of the ipsets only kube-router's two that the
 * expected state covers (a node's service sets hold hundreds of churning members the checks never
 * read).
 */
export function held(kind: FactKind, value: unknown): boolean {
  if (!CHECKS.has(kind)) return false;
  if (kind !== 'ipset' && kind !== 'ipsetMember') return true;
  const v = value as { set?: string; name?: string } | null;
  const name = (kind === 'ipset' ? v?.name : v?.set) ?? '';
  return CHECKED_SETS.has(name.startsWith('inet6:') ? name.slice('inet6:'.length) : name);
}
