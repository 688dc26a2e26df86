// The BGP daemon of a Calico-style node, whichever it is: BIRD (Calico's own), GoBGP or FRR
// (`up --style calico --daemons bird,gobgp,frr`). Each originates the node's block — a blackhole in
// the kernel, announced over BGP — and puts what it learns into the kernel: BIRD through its kernel
// protocol (`proto bird`), FRR through zebra (`proto bgp`), GoBGP through the lab's route-sync agent
// (`proto 17`, as kube-router does). All peer in one iBGP mesh, or with the route reflector.
import {
  birdProtocolPeer,
  birdProtocols,
  birdSocket,
  reconfigureBird,
  startBird,
  stopBirdGracefully,
  writeBirdConfig,
  type BirdIpv6Input,
  type BirdPeer,
} from './bird.js';
import { ipn } from './exec.js';
import { FRR_DAEMON_DIR, frrDir, frrSessions, startFrr, stopFrrBgpd, syncFrrPeers, writeFrrConfig } from './frr.js';
import { GOBGP_API, gobgpNeighbors, reloadGobgp, startGobgp, stopGobgpGracefully, writeGobgpConfig } from './gobgp.js';
import { KUBE_ROUTER_ROUTE_PROTO, type Daemon } from './plan.js';
import { stopNamed } from './processes.js';
import type { LabNode, LabState } from './state.js';
import type { BgpPeerState, RequiredTool } from './styles/driver.js';

export interface BgpControl {
  daemon: Daemon;
  /** BIRD's control socket */
  socket?: string;
  /** GoBGP's API inside the node's namespace */
  api?: string;
  /** FRR's vty socket directory */
  vtySocket?: string;
}

/** The collector flags that read this daemon (`lab status --json` hands them out). */
export function collectorArgs(c: BgpControl | null): string[] {
  if (c?.socket) return ['--bird-socket', c.socket];
  if (c?.api) return ['--gobgp-api', c.api];
  if (c?.vtySocket) return ['--frr-vty-socket', c.vtySocket];
  return [];
}

export const DAEMON_TOOLS: Record<Daemon, RequiredTool[]> = {
  bird: [
    { command: 'bird', debianPackage: 'bird2' },
    { command: 'birdc', debianPackage: 'bird2' },
  ],
  gobgp: [
    { command: 'gobgpd', debianPackage: 'gobgpd' },
    { command: 'gobgp', debianPackage: 'gobgpd' },
  ],
  frr: [
    { command: 'vtysh', debianPackage: 'frr' },
    { command: 'zebra', debianPackage: 'frr', dir: FRR_DAEMON_DIR },
    { command: 'staticd', debianPackage: 'frr', dir: FRR_DAEMON_DIR },
    { command: 'bgpd', debianPackage: 'frr', dir: FRR_DAEMON_DIR },
  ],
};

interface KernelRoute {
  type?: string;
  protocol?: string | number;
}

/** Whether the kernel route is one the node's daemon installed for another node's pods. */
export function isLearnedRoute(daemon: Daemon, r: KernelRoute): boolean {
  const proto = String(r.protocol ?? '');
  switch (daemon) {
    case 'bird':
      return proto === 'bird' && r.type !== 'blackhole';
    case 'gobgp':
      return proto === String(KUBE_ROUTER_ROUTE_PROTO);
    case 'frr':
      return proto === 'bgp';
  }
}

/** Calico's peering: a full mesh, or every node with the reflector (node 1, a BIRD node) and it with all. */
export function calicoPeers(state: LabState, node: LabNode): { peers: BirdPeer[]; mesh: boolean; isReflector: boolean } {
  const others = state.nodes.filter((n) => n.name !== node.name);
  const rr = state.routeReflector === null ? undefined : state.nodes.find((n) => n.index === state.routeReflector);
  if (!rr) return { peers: others.map((n) => ({ ip: n.underlayIp })), mesh: true, isReflector: false };
  if (rr.name === node.name) {
    return { peers: others.map((n) => ({ ip: n.underlayIp, rrClient: true })), mesh: false, isReflector: true };
  }
  return { peers: [{ ip: rr.underlayIp }], mesh: false, isReflector: false };
}

/**
 * `up --ipv6`: the IPv6 side of the node's BIRD config — its block and sessions to the IPv6
 * addresses of the peers calicoPeers gives it that have IPv6 too; undefined for a node without IPv6.
 */
export function calicoIpv6(state: LabState, node: LabNode): BirdIpv6Input | undefined {
  if (!node.underlayIp6 || !node.podCidr6) return undefined;
  const byIp = new Map(state.nodes.map((n) => [n.underlayIp, n]));
  const peers = calicoPeers(state, node).peers.flatMap((p) => {
    const ip6 = byIp.get(p.ip)?.underlayIp6;
    return ip6 ? [{ ...p, ip: ip6 }] : [];
  });
  return { address: node.underlayIp6, block: node.podCidr6, peers };
}

export interface Speaker {
  /** write the node's config, make its block a blackhole and announce it, start the daemon */
  start(state: LabState, node: LabNode): Promise<void>;
  /** the cluster changed: peer with the nodes `state` now holds */
  sync(state: LabState, node: LabNode): Promise<void>;
  /** graceful (peers are told) or `kill` (no word) */
  stop(state: LabState, node: LabNode, kill: boolean): Promise<void>;
  sessions(state: LabState, node: LabNode): Promise<BgpPeerState[]>;
  control(state: LabState, node: LabNode): BgpControl;
}

/** What the lab's variants (`up --no-blackhole/--install-none/--also-announce`) change in a BIRD node's config. */
export function birdVariant(state: LabState, node: LabNode): { installBlock: boolean; installLearned: boolean; extraRoutes: Array<{ prefix: string; via: string }> } {
  const v = state.variants ?? {};
  const installNone = (v.installNone ?? []).some((x) => x.node === node.index);
  const extraRoutes = (v.alsoAnnounce ?? [])
    .filter((x) => x.node === node.index)
    .flatMap((x) => {
      const of = state.nodes.find((n) => n.index === x.of);
      return of ? [{ prefix: of.podCidr, via: of.underlayIp }] : [];
    });
  return { installBlock: !installNone && !(v.noBlackhole ?? []).includes(node.index), installLearned: !installNone, extraRoutes };
}

const birdConfig = (state: LabState, node: LabNode) => {
  const ipv6 = calicoIpv6(state, node);
  writeBirdConfig(state.name, node.name, {
    routerId: node.underlayIp,
    block: node.podCidr,
    timers: state.timers,
    ...calicoPeers(state, node),
    ...birdVariant(state, node),
    ...(ipv6 ? { ipv6 } : {}),
  });
};

const bird: Speaker = {
  async start(state, node) {
    birdConfig(state, node);
    await startBird(state.name, node.name, node.namespace);
  },
  async sync(state, node) {
    birdConfig(state, node);
    if (node.bgp === 'running') await reconfigureBird(state.name, node.name);
  },
  async stop(state, node, kill) {
    if (kill) await stopNamed(node.namespace, 'bird', 'SIGKILL');
    else await stopBirdGracefully(state.name, node.name, node.namespace);
  },
  async sessions(state, node) {
    const protos = await birdProtocols(state.name, node.name);
    return protos
      .filter((p) => p.proto === 'BGP')
      .map((p) => ({ peer: birdProtocolPeer(p.name) ?? p.name, state: (p.info.split(' ')[0] ?? '').toLowerCase() }));
  },
  control(state, node) {
    return { daemon: 'bird', socket: birdSocket(state.name, node.name) };
  },
};

const gobgpConfig = (state: LabState, node: LabNode) =>
  writeGobgpConfig(state.name, node.name, { routerId: node.underlayIp, peers: calicoPeers(state, node).peers.map((p) => p.ip), timers: state.timers });

const gobgp: Speaker = {
  async start(state, node) {
    // the blackhole Calico keeps for its block; kube-router has none (its CIDR is on the bridge)
    await ipn(node.namespace, ['route', 'replace', 'blackhole', node.podCidr, 'proto', 'static']);
    gobgpConfig(state, node);
    await startGobgp(state.name, node.name, node.namespace, node.podCidr);
  },
  async sync(state, node) {
    gobgpConfig(state, node);
    if (node.bgp === 'running') await reloadGobgp(node.namespace);
  },
  async stop(_state, node, kill) {
    if (kill) await stopNamed(node.namespace, 'gobgpd', 'SIGKILL');
    else await stopGobgpGracefully(node.namespace, node.podCidr);
  },
  async sessions(_state, node) {
    return (await gobgpNeighbors(node.namespace)).map((n) => ({ peer: n.address, state: n.state }));
  },
  control() {
    return { daemon: 'gobgp', api: GOBGP_API };
  },
};

const frrPeers = (state: LabState, node: LabNode) => calicoPeers(state, node).peers.map((p) => ({ ip: p.ip }));

const frr: Speaker = {
  async start(state, node) {
    await writeFrrConfig(state.name, node.name, { routerId: node.underlayIp, block: node.podCidr, timers: state.timers, peers: frrPeers(state, node) });
    await startFrr(state.name, node.name, node.namespace);
  },
  async sync(state, node) {
    // the config file too, so that a later start-bgp peers with the cluster as it is then
    await writeFrrConfig(state.name, node.name, { routerId: node.underlayIp, block: node.podCidr, timers: state.timers, peers: frrPeers(state, node) });
    if (node.bgp === 'running') await syncFrrPeers(state.name, node.name, frrPeers(state, node), state.timers);
  },
  async stop(_state, node, kill) {
    await stopFrrBgpd(node.namespace, kill);
  },
  async sessions(state, node) {
    return Object.entries(await frrSessions(state.name, node.name)).map(([peer, s]) => ({ peer, state: s }));
  },
  control(state, node) {
    return { daemon: 'frr', vtySocket: frrDir(state.name, node.name) };
  },
};

export const SPEAKERS: Record<Daemon, Speaker> = { bird, gobgp, frr };
