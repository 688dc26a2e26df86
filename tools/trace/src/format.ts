// A trace as text for a terminal, the way tracepath prints a path: one line per hop, per branch.
import type { TraceEndpoint, TraceHop, TraceResult } from '@netatlas/wire';

function endpoint(e: TraceEndpoint): string {
  const what =
    e.kind === 'pod'
      ? `pod${e.pod?.name ? ` ${e.pod.namespace}/${e.pod.name}` : ''}${e.pod?.veth ? ` behind ${e.pod.veth}` : ''}`
      : e.kind === 'node'
        ? 'node'
        : 'address';
  const where = e.node ? ` on ${e.node}` : ' (no node holds it)';
  return `${e.kind === 'node' ? e.query : (e.ip ?? e.query)} (${what}${e.kind === 'node' ? `, ${e.ip ?? 'no address'}` : where})`;
}

function hopLine(h: TraceHop, n: number): string {
  const parts: string[] = [`${String(n).padStart(2)}: ${h.node}`];
  if (h.iif) parts.push(`in ${h.iif}`);
  const r = h.route;
  if (r) {
    const via = h.gateway ? ` via ${h.gateway}` : '';
    parts.push(`route ${r.type === 'unicast' ? '' : `${r.type} `}${r.dst}${via}${h.dev ? ` dev ${h.dev}` : ''} (${r.table}, ${r.protocol})`);
  } else parts.push('no route');
  if (h.ecmp) parts.push('ecmp');
  if (h.encap) parts.push(`${h.encap}${h.toAddress ? ` to ${h.toAddress}` : ''}`);
  if (h.neighbor) parts.push(`neigh ${h.neighbor.address} ${h.neighbor.lladdr ?? '-'} ${h.neighbor.state.join(',')}`);
  if (h.mtu !== null) parts.push(`mtu ${h.mtu}`);
  parts.push(h.outcome === 'forward' ? `-> ${h.toNode ?? h.toAddress ?? '?'}` : h.outcome === 'local' ? 'delivered here' : 'dies here');
  return parts.join('  ');
}

export function formatTrace(t: TraceResult): string {
  const lines = [`trace ${endpoint(t.from)} -> ${endpoint(t.to)} at ${t.at}: ${t.verdict}${t.mtu !== null ? `, path MTU ${t.mtu}` : ''}`];
  t.branches.forEach((b, i) => {
    const via = b.service ? ` (IPVS ${b.service.address}:${b.service.port ?? '*'} -> ${b.service.realServer}:${b.service.realPort})` : '';
    lines.push(`branch ${i + 1} of ${t.branches.length}${via}: ${b.verdict} at ${b.at}: ${b.reason}`);
    b.hops.forEach((h, k) => lines.push(hopLine(h, k + 1)));
  });
  return lines.join('\n');
}
