import { findEndpoint, indexHosts, trace, traceState } from '@netatlas/graph';
import type { Fact } from '@netatlas/wire';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatTrace } from './format.js';

const read = (name: string) => JSON.parse(readFileSync(new URL(`../../../libs/graph/src/fixtures/topology/${name}`, import.meta.url), 'utf8')) as unknown;

describe('formatTrace', () => {
  it('prints a flannel pod-to-pod path like tracepath: a line per hop with route, encapsulation, neighbor and MTU', () => {
    const state = traceState(indexHosts(read('flannel.json') as Record<string, Fact[]>));
    const nodes = (read('flannel.lab.json') as { status: { nodes: Array<{ name: string; underlayIp: string; pods: Array<{ ip: string }> }> } }).status.nodes;
    const [a, b] = [nodes[0]!, nodes[1]!];
    const t = trace(state, findEndpoint(state, a.pods[0]!.ip)!, findEndpoint(state, b.pods[0]!.ip)!, '2026-12-06T12:00:00.000Z');
    const lines = formatTrace(t).split('\n');
    expect(lines[0]).toBe(`trace ${a.pods[0]!.ip} (pod behind ${t.from.pod!.veth} on ${a.name}) -> ${b.pods[0]!.ip} (pod behind ${t.to.pod!.veth} on ${b.name}) at 2026-12-06T12:00:00.000Z: delivered, path MTU 1450`);
    expect(lines[1]).toBe(`branch 1 of 1: delivered at ${b.name}: delivered on ${b.name} through cni0 (port ${t.to.pod!.veth})`);
    expect(lines[2]).toMatch(new RegExp(`^ 1: ${a.name}  in ${t.from.pod!.veth}  route 10\\.244\\.2\\.0/24 via 10\\.244\\.2\\.0 dev flannel\\.1 \\(main, boot\\)  vxlan to ${b.underlayIp.replace(/\./g, '\\.')}  neigh 10\\.244\\.2\\.0 \\S+ PERMANENT  mtu 1450  -> ${b.name}$`));
    expect(lines[3]).toMatch(new RegExp(`^ 2: ${b.name}  in flannel\\.1  route 10\\.244\\.2\\.0/24 dev cni0 .*  mtu 1450  delivered here$`));
  });
});
