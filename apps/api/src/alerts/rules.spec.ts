// The rules as a pure function: which conditions hold, with which labels, and how symptoms group
// under a root cause.
import { makeFact, type ExpectedNode, type Finding } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { downUplinks, type SessionSignal } from './checks-worker.js';
import { evaluateRules, fingerprintOf, type NodeSignal, type RuleInput } from './rules.js';

const NOW = Date.parse('2026-11-23T18:00:00Z');
const names = ['n1', 'n2', 'n3'];
const expected: ExpectedNode[] = names.map((name, i) => ({
  name,
  kubernetesName: null,
  collected: true,
  addresses: [`172.20.0.1${i + 1}`],
  podCidrs: [`10.233.${i + 1}.0/24`],
  vtep: null,
  source: 'announced',
}));
const nodes = (over: Record<string, Partial<NodeSignal>> = {}): NodeSignal[] =>
  names.map((name) => ({ name, status: 'connected', since: NOW - 60_000, ...over[name] }));
const loss = (node: string, peer: string): Finding => {
  const prefix = expected.find((e) => e.name === peer)!.podCidrs[0]!;
  return { type: 'route-missing', node, peer, subject: prefix, key: `route-missing|${node}|${peer}|${prefix}`, message: `${node} has no route to ${prefix}`, expected: null, actual: null };
};
const session = (node: string, peer: string, state: SessionSignal['state'] = 'active'): SessionSignal => ({
  node,
  daemon: 'gobgp',
  peerAddress: expected.find((e) => e.name === peer)!.addresses[0]!,
  state,
});
const input = (over: Partial<RuleInput>): RuleInput => ({ now: NOW, nodes: nodes(), findings: [], expected, sessions: [], nodeLeftShowMs: 600_000, ...over });
const rules = (over: Partial<RuleInput>) => evaluateRules(input(over)).map((c) => `${c.fingerprint}${c.rootFingerprint ? ` < ${c.rootFingerprint}` : ''}`).sort();

describe('alert rules', () => {
  it('a healthy cluster: nothing', () => {
    expect(rules({ sessions: [session('n1', 'n2', 'established')] })).toEqual([]);
  });

  it('one missing route (del-route): RouteLoss for exactly that pair, no root cause', () => {
    expect(rules({ findings: [loss('n1', 'n3')] })).toEqual(['RouteLoss{node=n1,peer=n3,prefix=10.233.3.0/24}']);
  });

  it('a node whose BGP stopped: its sessions and routes, both ways, grouped under NodeUnreachable', () => {
    const findings = [loss('n1', 'n3'), loss('n2', 'n3'), loss('n3', 'n1'), loss('n3', 'n2')];
    const sessions = [session('n1', 'n3'), session('n2', 'n3'), session('n1', 'n2', 'established')];
    const root = fingerprintOf('NodeUnreachable', { node: 'n3' });
    expect(rules({ findings, sessions })).toEqual(
      [
        root,
        `BgpSessionDown{daemon=gobgp,node=n1,peer=n3} < ${root}`,
        `BgpSessionDown{daemon=gobgp,node=n2,peer=n3} < ${root}`,
        `RouteLoss{node=n1,peer=n3,prefix=10.233.3.0/24} < ${root}`,
        `RouteLoss{node=n2,peer=n3,prefix=10.233.3.0/24} < ${root}`,
        `RouteLoss{node=n3,peer=n1,prefix=10.233.1.0/24} < ${root}`,
        `RouteLoss{node=n3,peer=n2,prefix=10.233.2.0/24} < ${root}`,
      ].sort(),
    );
  });

  it('a lost collector is the root cause of the routes lost towards its node', () => {
    const lost = nodes({ n3: { status: 'lost' } });
    const root = fingerprintOf('CollectorLost', { node: 'n3' });
    expect(rules({ nodes: lost, findings: [loss('n1', 'n3'), loss('n2', 'n3')] })).toEqual(
      [root, `RouteLoss{node=n1,peer=n3,prefix=10.233.3.0/24} < ${root}`, `RouteLoss{node=n2,peer=n3,prefix=10.233.3.0/24} < ${root}`].sort(),
    );
    // its own (stale) view counts for nothing
    expect(rules({ nodes: lost, findings: [loss('n3', 'n1')] })).toEqual([root]);
  });

  it('a node that left: NodeLeft for a while, no RouteLoss towards it, and routes kept to it are stale', () => {
    const left = nodes({ n3: { status: 'left', since: NOW - 1000 } });
    const stale: Finding = { ...loss('n1', 'n3'), type: 'route-stale', key: 'route-stale|n1|n3|10.233.3.0/24' };
    expect(rules({ nodes: left, findings: [loss('n1', 'n3'), stale] })).toEqual([
      'NodeLeft{node=n3}',
      'StaleRoute{node=n1,peer=n3,prefix=10.233.3.0/24}',
    ]);
    expect(rules({ nodes: nodes({ n3: { status: 'left', since: NOW - 700_000 } }) })).toEqual([]);
  });

  it('ipset drift is one alert per node and set; MTU findings one per interface', () => {
    const member = (type: 'ipset-missing' | 'ipset-extra', m: string): Finding => ({
      type, node: 'n1', peer: null, subject: `kube-router-pod-subnets ${m}`, key: `${type}|n1||kube-router-pod-subnets ${m}`, message: m, expected: null, actual: null,
    });
    const mtu: Finding = { type: 'mtu-mismatch', node: 'n2', peer: null, subject: 'veth1', key: 'mtu-mismatch|n2||veth1', message: 'mtu', expected: null, actual: null };
    const out = evaluateRules(input({ findings: [member('ipset-extra', '10.99.0.0/24'), member('ipset-missing', '10.233.3.0/24'), mtu] }));
    expect(out.map((c) => c.fingerprint).sort()).toEqual(['IpsetDrift{node=n1,set=kube-router-pod-subnets}', 'MtuMismatch{interface=veth1,node=n2}']);
    expect(out.find((c) => c.rule === 'IpsetDrift')!.summary).toContain('lacks 1 and has 1 unexpected');
  });

  it("a node whose uplink is down is the root cause at once, before its peers' hold timers run out", () => {
    const root = fingerprintOf('NodeUnreachable', { node: 'n2' });
    expect(rules({ uplinksDown: [{ node: 'n2', ifname: 'eth0', operstate: 'LOWERLAYERDOWN' }] })).toEqual([root]);
    // the symptoms that follow join it
    expect(rules({ uplinksDown: [{ node: 'n2', ifname: 'eth0', operstate: 'DOWN' }], findings: [loss('n1', 'n2')] })).toEqual(
      [root, `RouteLoss{node=n1,peer=n2,prefix=10.233.2.0/24} < ${root}`].sort(),
    );
    const summary = evaluateRules(input({ uplinksDown: [{ node: 'n2', ifname: 'eth0', operstate: 'DOWN' }] }))[0]!.summary;
    expect(summary).toBe('n2 is unreachable: its underlay interface eth0 is DOWN');
  });

  it('one node losing its route to another is not a root cause in a 3-node cluster; two are', () => {
    expect(rules({ findings: [loss('n1', 'n3')], sessions: [session('n1', 'n3')] })).not.toContain('NodeUnreachable{node=n3}');
    expect(rules({ findings: [loss('n1', 'n3'), loss('n2', 'n3')] })).toContain('NodeUnreachable{node=n3}');
  });
});

describe('downUplinks', () => {
  it('names the interface that holds the node address when it is not up, and nothing for the others', () => {
    const link = (ifname: string, operstate: string, flags: string[]) =>
      makeFact('link', {
        ifname, ifindex: 2, kind: 'veth', mtu: 1500, mac: null, operstate, flags, master: null, linkIndex: null, linkNetnsId: null, vxlan: null, bridge: null, alias: null,
      } as never);
    const addr = (ifname: string, address: string) =>
      makeFact('addr', { ifname, family: 'inet', address, prefixLen: 24, scope: 'global', broadcast: null, label: ifname, flags: [] });
    const state = new Map([
      ['n1', [addr('eth0', '172.20.0.11'), link('eth0', 'UP', ['UP', 'LOWER_UP'])]],
      ['n2', [addr('eth0', '172.20.0.12'), link('eth0', 'LOWERLAYERDOWN', ['NO-CARRIER', 'UP']), link('veth1', 'DOWN', [])]],
      ['n3', [addr('eth0', '172.20.0.13'), link('eth0', 'UNKNOWN', ['UP', 'LOWER_UP'])]],
    ]);
    expect(downUplinks(state, expected)).toEqual([{ node: 'n2', ifname: 'eth0', operstate: 'LOWERLAYERDOWN' }]);
  });
});
