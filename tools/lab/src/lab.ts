// The lab orchestrator: builds, changes and tears down a cluster of network namespaces.
import { accessSync, constants, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inParallel, ipn, nsExec, sleep } from './exec.js';
import {
  createNodeNamespace,
  createUnderlay,
  deleteNamespace,
  listNamespaces,
  podNamespacesOf,
} from './netns.js';
import {
  checkLabName,
  daemonFor,
  defaultDaemon,
  LAB_TIMERS,
  planNode,
  UNDERLAY_GATEWAY6,
  UNDERLAY_SUBNET6,
  resolveNodeName,
  underlayNamespace,
  type Daemon,
  type Style,
  type Timers,
} from './plan.js';
import { namespacePids, processName, processRssKb, spawnInNamespace, stopPids } from './processes.js';
import {
  daemonOf,
  findNode,
  labDir,
  loadState,
  nodeCniDir,
  nodeDir,
  removeLabDir,
  requireState,
  saveState,
  type LabIpv6,
  type LabNode,
  type LabState,
  type LabVariants,
} from './state.js';
import { collectorArgs, DAEMON_TOOLS, isLearnedRoute, type BgpControl } from './speakers.js';
import { calico } from './styles/calico.js';
import type { RequiredTool, StyleDriver } from './styles/driver.js';
import { flannel } from './styles/flannel.js';
import { kubeRouter } from './styles/kube-router.js';

export const DRIVERS: Record<Style, StyleDriver> = { 'kube-router': kubeRouter, calico, flannel };

export type Logger = (msg: string) => void;
const quiet: Logger = () => undefined;

const BASE_TOOLS: RequiredTool[] = [
  { command: 'ip', debianPackage: 'iproute2' },
  { command: 'bridge', debianPackage: 'iproute2' },
  { command: 'sysctl', debianPackage: 'procps' },
];

function onPath(command: string, extraDir?: string): boolean {
  for (const dir of [...(process.env['PATH'] ?? '').split(':').filter(Boolean), ...(extraDir ? [extraDir] : [])]) {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

/** Stop at once, naming what is missing and how to install it. */
export function preflight(style: Style | null, daemons: readonly Daemon[] = []): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the lab needs root (network namespaces, veth, bridges): run it as root, e.g. sudo npm run lab -- ...');
  }
  const all = [...BASE_TOOLS, ...(style ? DRIVERS[style].tools : []), ...daemons.flatMap((d) => DAEMON_TOOLS[d])];
  const tools = all.filter((t, i) => all.findIndex((o) => o.command === t.command) === i);
  const missing = tools.filter((t) => !onPath(t.command, t.dir));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => t.debianPackage))];
    throw new Error(
      `missing ${missing.map((t) => `${t.command} (Debian package ${t.debianPackage})`).join(', ')}; ` +
        `install with: apt-get install -y ${pkgs.join(' ')}`,
    );
  }
}

// ---------------------------------------------------------------- measurement

function memAvailableKb(): number {
  const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) : 0;
}

export interface LabMemory {
  processes: number;
  processRssMb: number;
}

export async function labMemory(lab: string): Promise<LabMemory> {
  const nss = (await listNamespaces()).filter((ns) => ns.startsWith(`${lab}-`));
  const pids = new Set<number>();
  for (const ns of nss) for (const pid of await namespacePids(ns)) pids.add(pid);
  let kb = 0;
  for (const pid of pids) kb += processRssKb(pid);
  return { processes: pids.size, processRssMb: Math.round(kb / 102.4) / 10 };
}

// ---------------------------------------------------------------- convergence

interface KernelRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string | number;
  type?: string;
  nexthops?: Array<{ gateway?: string; dev?: string }>;
}

async function mainRoutes(ns: string, ipv6 = false): Promise<KernelRoute[]> {
  const r = await ipn(ns, ['-j', 'route', 'show', 'table', 'main']);
  const v4 = JSON.parse(r.stdout.trim() || '[]') as KernelRoute[];
  if (!ipv6) return v4;
  const r6 = await ipn(ns, ['-j', '-6', 'route', 'show', 'table', 'main']);
  return [...v4, ...(JSON.parse(r6.stdout.trim() || '[]') as KernelRoute[])];
}

/**
 * The routes by which a node reaches other nodes' pods, as its BGP daemon programs them (BIRD:
 * `proto bird`, FRR's zebra: `proto bgp`, GoBGP's route-sync agent: `proto 17`), or flannel does.
 */
export function podRoutesIn(style: Style, routes: KernelRoute[], daemon: Daemon | null = defaultDaemon(style)): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of routes) {
    const isPodRoute = daemon === null ? r.dev === 'flannel.1' : isLearnedRoute(daemon, r);
    // a multipath route: its gateways, sorted and joined
    const via = r.nexthops?.length ? r.nexthops.map((h) => h.gateway ?? h.dev ?? '').sort().join(',') : (r.gateway ?? r.dev ?? '');
    if (isPodRoute) out.set(r.dst, via);
  }
  return out;
}

/** A node that can converge: it is up and, in a BGP style, its daemon runs. */
function convergent(state: LabState, n: LabNode): boolean {
  return n.state === 'up' && (n.bgp === null || n.bgp === 'running');
}

async function nodeConverged(state: LabState, node: LabNode): Promise<boolean> {
  const driver = DRIVERS[state.style];
  const want = driver.podRoutes(state, node);
  const have = podRoutesIn(state.style, await mainRoutes(node.namespace, !!node.underlayIp6), daemonOf(state, node));
  if (want.size !== have.size) return false;
  for (const [dst, via] of want) if (have.get(dst) !== via) return false;
  if (node.bgp === 'running') {
    const peers = await driver.bgpPeers(state, node).catch(() => []);
    const mustBeUp = new Set(
      state.nodes
        .filter((o) => o.name !== node.name && convergent(state, o))
        // dual stack: the IPv6 session too, where both ends have IPv6
        .flatMap((o) => [o.underlayIp, ...(node.underlayIp6 && o.underlayIp6 ? [o.underlayIp6] : [])]),
    );
    for (const p of peers) if (mustBeUp.has(p.peer) && p.state !== 'established') return false;
  }
  return true;
}

/** Wait until every live node holds exactly the pod routes the cluster implies. */
export async function waitConverged(state: LabState, log: Logger, timeoutMs = 120_000): Promise<number> {
  const start = Date.now();
  const nodes = state.nodes.filter((n) => convergent(state, n));
  let lastReport = 0;
  for (;;) {
    const done = new Set<string>();
    await inParallel(nodes, 4, async (n) => {
      if (await nodeConverged(state, n)) done.add(n.name);
    });
    if (done.size === nodes.length) return Date.now() - start;
    if (Date.now() - start > timeoutMs) {
      const stuck = nodes.filter((n) => !done.has(n.name)).map((n) => n.name);
      throw new Error(`not converged after ${timeoutMs / 1000} s: ${stuck.join(', ')}`);
    }
    if (Date.now() - lastReport > 3000) {
      log(`waiting for routes and BGP sessions: ${done.size}/${nodes.length} nodes converged`);
      lastReport = Date.now();
    }
    await sleep(250);
  }
}

// ---------------------------------------------------------------- the route-sync agent

/** GoBGP programs no routes: the agent does, for every GoBGP node of the lab, of any style. */
function needsAgent(state: LabState): boolean {
  return state.nodes.some((n) => daemonOf(state, n) === 'gobgp') || (state.daemons ?? []).includes('gobgp');
}

function startAgent(state: LabState): void {
  const self = fileURLToPath(import.meta.url);
  const agent = join(self, '..', `agent${self.endsWith('.ts') ? '.ts' : '.js'}`);
  // inside the underlay namespace, so `down` finds and stops it with everything else
  spawnInNamespace(
    underlayNamespace(state.name),
    process.execPath,
    [...process.execArgv, agent, state.name],
    join(labDir(state.name), 'agent.log'),
  );
}

// ---------------------------------------------------------------- commands

export interface UpOptions {
  name: string;
  style: Style;
  nodes: number;
  pods: number;
  timers: Timers;
  /** calico: make node 1 a route reflector instead of a full mesh */
  routeReflector: boolean;
  /** calico: node i runs daemons[(i - 1) % length] (default: BIRD on every node) */
  daemons?: Daemon[];
  /** calico, BIRD nodes: nodes that differ from Calico's defaults */
  variants?: LabVariants;
  /** calico, BIRD nodes: dual stack, but for `except`; `onlyPods`' pods IPv6 only */
  ipv6?: LabIpv6;
}

export interface UpResult {
  state: LabState;
  seconds: number;
  convergeSeconds: number;
  memory: LabMemory;
  memAvailableDeltaMb: number;
}

function newNode(state: LabState, index: number): LabNode {
  const v6 = state.ipv6;
  const families = v6 ? { ipv6: !v6.except.includes(index), ipv6OnlyPods: v6.onlyPods.includes(index) } : undefined;
  const plan = planNode(state.name, state.style, index, state.podsPerNode, families);
  const daemon = state.daemons ? daemonFor(state.daemons, index) : defaultDaemon(state.style);
  return { ...plan, state: 'up', bgp: state.style === 'flannel' ? null : 'running', daemon };
}

async function buildNodes(state: LabState, nodes: LabNode[], log: Logger): Promise<void> {
  const driver = DRIVERS[state.style];
  let built = 0;
  await inParallel(nodes, 4, async (node) => {
    mkdirSync(nodeDir(state.name, node.name), { recursive: true });
    // the node's CNI records: a runtime's results/ (bridge styles' host-local adds networks/)
    mkdirSync(join(nodeCniDir(state.name, node.name), 'results'), { recursive: true, mode: 0o700 });
    await createNodeNamespace(state.name, node);
    await driver.buildNode(state, node);
    built++;
    if (nodes.length > 1 && (built % 5 === 0 || built === nodes.length)) log(`built ${built}/${nodes.length} nodes`);
  });
}

/** Variants name existing nodes, and only BIRD nodes of a calico lab without a route reflector. */
function checkVariants(opts: UpOptions): void {
  const v = opts.variants ?? {};
  const named = [...(v.noBlackhole ?? []), ...(v.installNone ?? []).flatMap((x) => [x.node, x.via]), ...(v.alsoAnnounce ?? []).flatMap((x) => [x.node, x.of])];
  if (named.length === 0) return;
  if (opts.style !== 'calico') throw new Error('--no-blackhole, --install-none and --also-announce are for the calico style');
  if (opts.routeReflector && (v.alsoAnnounce ?? []).length > 0) throw new Error('--also-announce needs a full mesh (no --route-reflector)');
  for (const i of named) if (!Number.isInteger(i) || i < 1 || i > opts.nodes) throw new Error(`node ${i} is not one of the ${opts.nodes} nodes`);
  const variantNodes = [...(v.noBlackhole ?? []), ...(v.installNone ?? []).map((x) => x.node), ...(v.alsoAnnounce ?? []).map((x) => x.node)];
  for (const i of variantNodes) {
    const d = opts.daemons ? daemonFor(opts.daemons, i) : 'bird';
    if (d !== 'bird') throw new Error(`node ${i} runs ${d}: the variants are for BIRD nodes`);
  }
  for (const x of v.installNone ?? []) if (x.node === x.via) throw new Error(`--install-none ${x.node}:${x.via}: a node cannot route through itself`);
  for (const x of v.alsoAnnounce ?? []) if (x.node === x.of) throw new Error(`--also-announce ${x.node}:${x.of}: a node announces its own block already`);
}

/** `--ipv6`: calico with BIRD on every node, no variant; the nodes named exist and are consistent. */
function checkIpv6(opts: UpOptions): void {
  const v6 = opts.ipv6;
  if (!v6) return;
  if (opts.style !== 'calico') throw new Error('--ipv6 is for the calico style');
  const notBird = opts.daemons?.find((d) => d !== 'bird');
  if (notBird) throw new Error(`--ipv6 is for BIRD nodes (--daemons names ${notBird})`);
  if (opts.variants) throw new Error('--ipv6 does not combine with --no-blackhole, --install-none or --also-announce');
  for (const i of [...v6.except, ...v6.onlyPods]) {
    if (!Number.isInteger(i) || i < 1 || i > opts.nodes) throw new Error(`node ${i} is not one of the ${opts.nodes} nodes`);
  }
  const both = v6.onlyPods.find((i) => v6.except.includes(i));
  if (both !== undefined) throw new Error(`node ${both} cannot have IPv6-only pods and no IPv6`);
  if (opts.routeReflector && v6.except.includes(1)) throw new Error('--route-reflector makes node 1 the reflector: it needs IPv6 (not in --ipv6-except)');
}

export async function up(opts: UpOptions, log: Logger = quiet): Promise<UpResult> {
  checkLabName(opts.name);
  checkIpv6(opts);
  if (opts.daemons !== undefined) {
    if (opts.style !== 'calico') throw new Error(`--daemons is for the calico style (${opts.style} runs ${defaultDaemon(opts.style) ?? 'no BGP daemon'})`);
    if (opts.routeReflector && opts.daemons[0] !== 'bird') throw new Error('--route-reflector makes node 1 the reflector: it must run BIRD (--daemons bird,...)');
  }
  if (opts.variants) checkVariants(opts);
  preflight(opts.style, opts.daemons);
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1) throw new Error('--nodes must be a positive integer');
  if (loadState(opts.name) || (await listNamespaces()).some((ns) => ns.startsWith(`${opts.name}-`))) {
    throw new Error(`lab '${opts.name}' already exists: run 'npm run lab -- down --name ${opts.name}' first`);
  }
  const t0 = Date.now();
  const memBefore = memAvailableKb();
  const state: LabState = {
    name: opts.name,
    style: opts.style,
    timers: opts.timers,
    routeReflector: opts.style === 'calico' && opts.routeReflector ? 1 : null,
    ...(opts.daemons ? { daemons: opts.daemons } : {}),
    ...(opts.variants ? { variants: opts.variants } : {}),
    ...(opts.ipv6 ? { ipv6: opts.ipv6 } : {}),
    podsPerNode: opts.pods,
    createdAt: new Date().toISOString(),
    nextIndex: opts.nodes + 1,
    nodes: [],
  };
  state.nodes = Array.from({ length: opts.nodes }, (_, i) => newNode(state, i + 1));
  mkdirSync(labDir(opts.name), { recursive: true });
  saveState(state);
  try {
    log(`lab '${opts.name}': ${opts.style}, ${opts.nodes} nodes x ${opts.pods} pods, ${opts.timers} timers${opts.ipv6 ? ', dual stack' : ''}`);
    await createUnderlay(opts.name, !!opts.ipv6);
    await buildNodes(state, state.nodes, log);
    if (needsAgent(state)) startAgent(state);
    const tc = Date.now();
    await waitConverged(state, log);
    const convergeSeconds = (Date.now() - tc) / 1000;
    const memory = await labMemory(opts.name);
    return {
      state,
      seconds: (Date.now() - t0) / 1000,
      convergeSeconds,
      memory,
      memAvailableDeltaMb: Math.round((memBefore - memAvailableKb()) / 102.4) / 10,
    };
  } catch (err) {
    log(`up failed: ${(err as Error).message}; removing the partial lab (state kept in ${labDir(opts.name)}/*.log is removed too)`);
    await down(opts.name);
    throw err;
  }
}

export async function addNode(lab: string, log: Logger = quiet): Promise<{ node: LabNode; seconds: number }> {
  const state = requireState(lab);
  preflight(state.style, state.daemons);
  const t0 = Date.now();
  const node = newNode(state, state.nextIndex);
  state.nextIndex += 1;
  state.nodes.push(node);
  saveState(state);
  await buildNodes(state, [node], log);
  await DRIVERS[state.style].syncCluster(state);
  await waitConverged(state, log);
  return { node, seconds: (Date.now() - t0) / 1000 };
}

export async function removeNode(lab: string, given: string, log: Logger = quiet): Promise<{ seconds: number }> {
  const state = requireState(lab);
  const node = findNode(state, resolveNodeName(lab, given));
  const t0 = Date.now();
  const driver = DRIVERS[state.style];
  await driver.withdraw(state, node);
  state.nodes = state.nodes.filter((n) => n.name !== node.name);
  saveState(state);
  await driver.syncCluster(state);
  await destroyNode(node);
  rmSync(nodeDir(lab, node.name), { recursive: true, force: true });
  await waitConverged(state, log);
  return { seconds: (Date.now() - t0) / 1000 };
}

async function destroyNode(node: LabNode): Promise<void> {
  const all = await listNamespaces();
  const nss = [...podNamespacesOf(node.namespace, all), node.namespace];
  const pids = (await Promise.all(nss.map(namespacePids))).flat();
  await stopPids(pids, 'SIGTERM', 3000);
  for (const ns of nss) await deleteNamespace(ns);
}

/** Abrupt: the node's underlay port goes down and its daemon dies without a word to its peers. */
export async function failNode(lab: string, given: string): Promise<LabNode> {
  const state = requireState(lab);
  const node = findNode(state, resolveNodeName(lab, given));
  await ipn(underlayNamespace(lab), ['link', 'set', node.underlayPort, 'down']);
  if (node.bgp === 'running') await DRIVERS[state.style].stopBgp(state, node, true);
  node.state = 'failed';
  if (node.bgp !== null) node.bgp = 'stopped';
  saveState(state);
  return node;
}

export async function stopBgp(lab: string, given: string, kill: boolean, log: Logger = quiet): Promise<LabNode> {
  const state = requireState(lab);
  const node = findNode(state, resolveNodeName(lab, given));
  if (node.bgp === null) throw new Error(`the ${state.style} style runs no BGP daemon`);
  if (node.state !== 'up') throw new Error(`${node.name} has failed; nothing to stop`);
  await DRIVERS[state.style].stopBgp(state, node, kill);
  node.bgp = 'stopped';
  saveState(state);
  if (!kill) await waitConverged(state, log);
  return node;
}

export async function startBgp(lab: string, given: string, log: Logger = quiet): Promise<LabNode> {
  const state = requireState(lab);
  const node = findNode(state, resolveNodeName(lab, given));
  if (node.bgp === null) throw new Error(`the ${state.style} style runs no BGP daemon`);
  if (node.state !== 'up') throw new Error(`${node.name} has failed; it cannot run BGP`);
  if (node.bgp === 'running') throw new Error(`BGP already runs on ${node.name}`);
  await DRIVERS[state.style].startBgp(state, node);
  node.bgp = 'running';
  saveState(state);
  await waitConverged(state, log);
  return node;
}

export async function delRoute(lab: string, given: string, prefix: string): Promise<void> {
  const state = requireState(lab);
  const node = findNode(state, resolveNodeName(lab, given));
  await ipn(node.namespace, ['route', 'del', prefix]);
}

/** The node's underlay port goes down (a pulled cable: its eth0 loses carrier), or comes back up. */
export async function setLink(lab: string, given: string, up: boolean): Promise<LabNode> {
  const state = requireState(lab);
  const node = findNode(state, resolveNodeName(lab, given));
  await ipn(underlayNamespace(lab), ['link', 'set', node.underlayPort, up ? 'up' : 'down']);
  return node;
}

const BGP_PORT = '179';

/** iptables rules (in `node`'s namespace) that drop BGP between it and `peer`, both ways. */
function sessionRules(peerIp: string): string[][] {
  return [
    ['INPUT', '-s', peerIp, '-p', 'tcp', '--dport', BGP_PORT],
    ['INPUT', '-s', peerIp, '-p', 'tcp', '--sport', BGP_PORT],
    ['OUTPUT', '-d', peerIp, '-p', 'tcp', '--dport', BGP_PORT],
    ['OUTPUT', '-d', peerIp, '-p', 'tcp', '--sport', BGP_PORT],
  ];
}

/**
 * A firewall cuts the BGP session between two nodes (rules in the first node's namespace, both
 * directions): both ends see it time out on their hold timer; everything else between them flows.
 */
export async function cutSession(lab: string, given: string, peerGiven: string, cut: boolean): Promise<[LabNode, LabNode]> {
  const state = requireState(lab);
  const node = findNode(state, resolveNodeName(lab, given));
  const peer = findNode(state, resolveNodeName(lab, peerGiven));
  if (node.name === peer.name) throw new Error('a node has no session with itself');
  // dual stack: the IPv6 session between them too (ip6tables), where both have IPv6
  const firewalls: Array<[string, string]> = [['iptables', peer.underlayIp]];
  if (node.underlayIp6 && peer.underlayIp6) firewalls.push(['ip6tables', peer.underlayIp6]);
  for (const [tool, peerIp] of firewalls) {
    for (const rule of sessionRules(peerIp)) {
      const [chain, ...match] = rule as [string, ...string[]];
      if (cut) await nsExec(node.namespace, tool, ['-I', chain, ...match, '-j', 'DROP']);
      else await nsExec(node.namespace, tool, ['-D', chain, ...match, '-j', 'DROP'], { allowFail: true });
    }
  }
  return [node, peer];
}

export async function setMtu(lab: string, given: string, iface: string, mtu: number): Promise<void> {
  const state = requireState(lab);
  const node = findNode(state, resolveNodeName(lab, given));
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new Error(`invalid MTU '${mtu}'`);
  await ipn(node.namespace, ['link', 'set', 'dev', iface, 'mtu', String(mtu)]);
}

export interface NodeStatus {
  name: string;
  namespace: string;
  underlayIp: string;
  podCidr: string;
  /** the node's IPv6 underlay address (`up --ipv6`); null without IPv6 */
  underlayIp6: string | null;
  /** the node's IPv6 block (`up --ipv6`); null without IPv6 */
  podCidr6: string | null;
  state: string;
  bgp: string | null;
  /** the node's BGP daemon (bird, gobgp, frr), null without BGP */
  daemon: Daemon | null;
  bgpControl: BgpControl | null;
  /** the collector flags that read this node's daemon and CNI records, e.g. `--bird-socket <path> --cni-dir <path>` */
  collectorArgs: string[];
  /** the node's CNI records (host-local's networks/, the cached results/): the collector's `--cni-dir` */
  cniDir: string;
  bgpSessions: { peer: string; state: string }[];
  /** `ip`: IPv4, null for an IPv6-only pod (`--ipv6-only-pods`); `ip6`: IPv6, null without */
  pods: { name: string; namespace: string; ip: string | null; ip6: string | null; hostVeth: string }[];
}

export interface LabStatus {
  name: string;
  style: Style;
  timers: Timers & string;
  bgpTimers: typeof LAB_TIMERS | 'default';
  routeReflector: string | null;
  /** `--daemons` as given at `up`; null: the style's own daemon on every node */
  daemons: Daemon[] | null;
  /** `gateway6`, `subnet6`: the IPv6 ones (`up --ipv6`), null without */
  underlay: { namespace: string; bridge: string; gateway: string; subnet: string; gateway6: string | null; subnet6: string | null };
  nodes: NodeStatus[];
  memory: LabMemory;
}

export async function status(lab: string): Promise<LabStatus> {
  const state = requireState(lab);
  const driver = DRIVERS[state.style];
  const nodes: NodeStatus[] = [];
  for (const n of state.nodes) {
    const sessions = n.bgp === 'running' ? await driver.bgpPeers(state, n).catch(() => []) : [];
    const control = driver.bgpControl(state, n);
    nodes.push({
      name: n.name,
      namespace: n.namespace,
      underlayIp: n.underlayIp,
      podCidr: n.podCidr,
      underlayIp6: n.underlayIp6 ?? null,
      podCidr6: n.podCidr6 ?? null,
      state: n.state,
      bgp: n.bgp,
      daemon: daemonOf(state, n),
      bgpControl: control,
      collectorArgs: [...collectorArgs(control), '--cni-dir', nodeCniDir(lab, n.name)],
      cniDir: nodeCniDir(lab, n.name),
      bgpSessions: sessions,
      pods: n.pods.map((p) => ({ name: p.name, namespace: p.namespace, ip: p.ip, ip6: p.ip6 ?? null, hostVeth: p.hostVeth })),
    });
  }
  const rr = state.nodes.find((n) => n.index === state.routeReflector);
  return {
    name: state.name,
    style: state.style,
    timers: state.timers,
    bgpTimers: state.timers === 'lab' ? LAB_TIMERS : 'default',
    routeReflector: rr?.name ?? null,
    daemons: state.daemons ?? null,
    underlay: {
      namespace: underlayNamespace(lab),
      bridge: 'br0',
      gateway: '172.20.0.1',
      subnet: '172.20.0.0/24',
      gateway6: state.ipv6 ? UNDERLAY_GATEWAY6 : null,
      subnet6: state.ipv6 ? UNDERLAY_SUBNET6 : null,
    },
    nodes,
    memory: await labMemory(lab),
  };
}

export interface DownResult {
  namespaces: number;
  processes: number;
  seconds: number;
}

/** Idempotent: finds everything by the lab's prefix, so it also cleans a lab whose state is lost. */
export async function down(lab: string): Promise<DownResult> {
  checkLabName(lab);
  const t0 = Date.now();
  const nss = (await listNamespaces()).filter((ns) => ns.startsWith(`${lab}-`));
  const pids = new Set<number>();
  for (const ns of nss) for (const pid of await namespacePids(ns)) pids.add(pid);
  // the agent first, so it does not restart monitors while daemons go away
  const agentPids = [...pids].filter((p) => processName(p) === 'node');
  await stopPids(agentPids, 'SIGTERM', 2000);
  await stopPids([...pids], 'SIGTERM', 3000);
  // pods, then nodes, then the underlay: deleting a namespace takes its veth ends with it
  const order = (ns: string) => (ns.includes('-pod') ? 0 : ns === underlayNamespace(lab) ? 2 : 1);
  const sorted = [...nss].sort((a, b) => order(a) - order(b));
  await inParallel(sorted, 8, deleteNamespace);
  removeLabDir(lab);
  return { namespaces: nss.length, processes: pids.size, seconds: (Date.now() - t0) / 1000 };
}
