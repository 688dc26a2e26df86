// Which CNI a node runs, recognised from what it holds (DESIGN.md, "The networks it must understand").
import type { CniStyle, Fact } from '@netatlas/wire/core';

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
