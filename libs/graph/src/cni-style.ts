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

/**
 * The style the facts show (the collector's computation; see cniStyleOf for everyone else). Each
 * sign counts once, however often it occurs, weighed by how specific it is: a device or ipset only
 * one CNI makes is strong; which BGP daemon runs is weak (GoBGP or FRR can carry Calico-style
 * routing: a Calico-style node is known by its cali veths and its block's blackhole, whatever
 * speaks BGP for it).
 */
export function detectCniStyle(facts: Iterable<Fact>): CniStyle {
  return cniStyleOfSigns(cniSigns(facts));
}

/**
 * The signs of a CNI among `facts`, added to `signs`: detectCniStyle's evidence, which can be
 * gathered a slice of the facts at a time (a snapshot's parts) and weighed once (cniStyleOfSigns).
 */
export function cniSigns(facts: Iterable<Fact>, signs = new Set<string>()): Set<string> {
  for (const f of facts) {
    switch (f.kind) {
      case 'link':
        if (f.value.ifname === 'kube-bridge' || f.value.ifname === 'kube-dummy-if') signs.add('kube-router:bridge');
        else if (f.value.ifname === 'flannel.1' && f.value.kind === 'vxlan') signs.add('flannel:vxlan');
        else if (f.value.ifname.startsWith('cali')) signs.add('calico:veth');
        else if (f.value.ifname === 'tunl0' || f.value.ifname === 'vxlan.calico') signs.add('calico:tunnel');
        break;
      case 'ipset':
        if (f.value.name.startsWith('kube-router-')) signs.add('kube-router:ipset');
        else if (f.value.name.startsWith('cali')) signs.add('calico:ipset');
        break;
      case 'bgpSession':
        if (f.value.daemon === 'gobgp') signs.add('kube-router:gobgp');
        else if (f.value.daemon === 'bird') signs.add('calico:bird');
        break;
      case 'route':
        if (f.value.protocol === 'bird') signs.add('calico:bird-route');
        if (f.value.type === 'blackhole' && f.value.table === 'main' && f.value.dst !== 'default') signs.add('calico:blackhole');
        break;
      default:
        break;
    }
  }
  return signs;
}

/** The style that signs gathered by cniSigns point to. */
export function cniStyleOfSigns(signs: ReadonlySet<string>): CniStyle {
  const WEIGHT: Record<string, number> = {
    'kube-router:bridge': 3,
    'kube-router:ipset': 2,
    'kube-router:gobgp': 1,
    'flannel:vxlan': 4,
    'calico:veth': 3,
    'calico:tunnel': 2,
    'calico:ipset': 2,
    'calico:bird': 1,
    'calico:bird-route': 1,
    'calico:blackhole': 1,
  };
  const score = { 'kube-router': 0, calico: 0, flannel: 0 };
  for (const sign of signs) score[sign.slice(0, sign.indexOf(':')) as keyof typeof score] += WEIGHT[sign] ?? 0;
  const best = Math.max(score['kube-router'], score.calico, score.flannel);
  if (best === 0) return 'unknown';
  // ties resolve towards the more specific evidence: flannel's vxlan device, then kube-router's bridge
  if (score.flannel === best) return 'flannel';
  if (score['kube-router'] === best) return 'kube-router';
  return 'calico';
}
