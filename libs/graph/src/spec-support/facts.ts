// Fact builders and lab fixtures for the specs of libs/graph (checks, topology, pinned output): one
// home for what each spec used to declare again. Not part of the library (tsconfig.lib.json leaves
// spec-support/ out). Fields a test does not name get these defaults; a test that needs another
// value passes it in `extra`.
import { makeFact, type Fact, type FactOf, type NeighValue, type RouteValue } from '@netatlas/wire';
import { readFileSync } from 'node:fs';
import type { KubernetesNodeInfo } from '../checks.js';

export type State = Record<string, Fact[]>;
export type Style = 'kube-router' | 'calico' | 'flannel';

const family = (address: string) => (address.includes(':') ? 'inet6' : 'inet');
const LINK = { ifindex: 1, mtu: 1500, mac: null, operstate: 'UP', flags: [], master: null, link: null, linkIndex: null, linkNetnsId: null, vxlan: null, ipip: null };

export const link = (ifname: string, kind: string, extra: Partial<FactOf<'link'>['value']> = {}): Fact => makeFact('link', { ...LINK, ifname, kind, ...extra });

export const addr = (ifname: string, address: string, prefixLen: number): Fact =>
  makeFact('addr', { ifname, family: family(address), address, prefixLen, scope: 'global', broadcast: null, label: null, flags: [] });

/** A main-table unicast route (protocol 17: what `ip route add` without one gives), scope link without a gateway. */
export const route = (dst: string, gateway: string | null, dev: string | null, extra: Partial<RouteValue> = {}): Fact =>
  makeFact('route', {
    table: 'main', family: family(dst), dst, type: 'unicast', protocol: '17', scope: gateway ? 'global' : 'link',
    gateway, dev, prefsrc: null, metric: 0, tos: 0, flags: [], nexthops: [], ...extra,
  });

/** A PERMANENT neighbor entry (what CNIs install for tunnels' far ends). */
export const neigh = (dev: string, address: string, lladdr: string | null, extra: Partial<NeighValue> = {}): Fact =>
  makeFact('neigh', { dev, family: family(address), address, lladdr, state: ['PERMANENT'], router: false, proxy: false, ...extra });

export const fdb = (dev: string, mac: string, dst: string): Fact => makeFact('fdb', { dev, mac, master: null, vlan: null, dst, vni: null, port: null, state: 'permanent', flags: ['self'] });

// ------------------------------------------------------------------ the lab's captured states

export interface LabNode {
  name: string;
  underlayIp: string;
  podCidr: string;
  pods: { name?: string; ip: string; hostVeth: string }[];
}

/** A JSON file under libs/graph/src (the fixtures/ folder). */
export const readFixture = <T>(path: string): T => JSON.parse(readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')) as T;

/** A healthy lab's state and its nodes (`npm run fixtures:topology`). */
export const labState = (style: Style): { state: State; lab: LabNode[] } => ({
  state: readFixture<State>(`fixtures/topology/${style}.json`),
  lab: readFixture<{ status: { nodes: LabNode[] } }>(`fixtures/topology/${style}.lab.json`).status.nodes,
});

/** A copy of a state with one node's facts rewritten. */
export function edit(state: State, node: string, fn: (facts: Fact[]) => Fact[]): State {
  const out = structuredClone(state);
  out[node] = fn(out[node] ?? []);
  return out;
}

export const isMainRoute = (f: Fact, dst: string): f is FactOf<'route'> => f.kind === 'route' && f.value.table === 'main' && f.value.dst === dst;

/** Replace the main-table route to `dst` (its value, and so its key). */
export const withRoute = (facts: Fact[], dst: string, change: (r: RouteValue) => RouteValue): Fact[] =>
  facts.map((f) => (isMainRoute(f, dst) ? makeFact('route', change(f.value)) : f));

/** The lab's nodes as Kubernetes would list them (renamed by `rename`). */
export const kubeOf = (lab: readonly LabNode[], rename: (n: LabNode, i: number) => string = (n) => n.name): KubernetesNodeInfo[] =>
  lab.map((n, i) => ({ name: rename(n, i), addresses: [n.underlayIp], podCidrs: [n.podCidr] }));
