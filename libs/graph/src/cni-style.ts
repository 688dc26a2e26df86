// Which CNI a node runs, recognised from what it holds (DESIGN.md, "The networks it must understand").
//
// One computation, one owner: the collector runs detectCniStyle over the node's whole state after
// every refresh and reports the result in the node's `node` fact, which it sends again in the delta
// where it changes. Everyone else takes that report through cniStyleOf: the API's `nodes` row (at a
// snapshot, and at every delta with a node fact), the topology's hosts, the checks. Only a node
// whose stream carries no node fact (a client other than the collector) has its style detected from
// its facts, and then from a whole state (a snapshot, the topology's facts), never from a delta.
import type { CniStyle, Fact, NodeValue } from '@netatlas/wire/core';

/** The value of the node fact among `facts`, or null when there is none. */
export function nodeValueIn(facts: Iterable<Fact>): NodeValue | null {
  for (const f of facts) if (f.kind === 'node') return f.value;
  return null;
}

/**
 * A node's CNI style: the one its collector reports (`node`, found among `facts` unless given), even
 * `unknown`, since the collector detected it from these same facts; detected only without a report.
 */
export function cniStyleOf(facts: readonly Fact[], node: NodeValue | null = nodeValueIn(facts)): CniStyle {
  return node ? node.cniStyle : detectCniStyle(facts);
}

/** The style the facts show (the collector's computation; see cniStyleOf for everyone else). */
export function detectCniStyle(facts: Iterable<Fact>): CniStyle {
  let kubeRouter = 0;
  let calico = 0;
  let flannel = 0;
  for (const f of facts) {
    switch (f.kind) {
      case 'link':
        if (f.value.ifname === 'kube-bridge' || f.value.ifname === 'kube-dummy-if') kubeRouter += 2;
        else if (f.value.ifname === 'flannel.1' && f.value.kind === 'vxlan') flannel += 3;
        else if (f.value.ifname.startsWith('cali') || f.value.ifname === 'tunl0' || f.value.ifname === 'vxlan.calico') calico += 1;
        break;
      case 'ipset':
        if (f.value.name.startsWith('kube-router-')) kubeRouter += 1;
        else if (f.value.name.startsWith('cali')) calico += 1;
        break;
      case 'bgpSession':
        if (f.value.daemon === 'gobgp') kubeRouter += 1;
        else if (f.value.daemon === 'bird') calico += 1;
        break;
      case 'route':
        if (f.value.protocol === 'bird') calico += 1;
        break;
      default:
        break;
    }
  }
  const best = Math.max(kubeRouter, calico, flannel);
  if (best === 0) return 'unknown';
  // ties resolve towards the more specific evidence: flannel's vxlan device, then kube-router's bridge
  if (flannel === best) return 'flannel';
  if (kubeRouter === best) return 'kube-router';
  return 'calico';
}
