// The lab's record of itself, kept on tmpfs under /run so a reboot cannot leave a stale lab behind.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDaemon, type Daemon, type NodePlan, type Style, type Timers } from './plan.js';

export const LAB_ROOT = process.env['NETATLAS_LAB_DIR'] ?? '/run/netatlas-lab';

export type NodeState = 'up' | 'failed';

export interface LabNode extends NodePlan {
  state: NodeState;
  /** null for styles without a BGP daemon (flannel) */
  bgp: 'running' | 'stopped' | null;
  /** the BGP daemon the node runs; null without BGP (absent in labs made before it was recorded) */
  daemon?: Daemon | null;
}

export interface LabState {
  name: string;
  style: Style;
  timers: Timers;
  /** calico: index of the node acting as route reflector, or null for a full mesh */
  routeReflector: number | null;
  /** calico `--daemons`: node i runs daemons[(i - 1) % length]; absent: the style's own daemon */
  daemons?: Daemon[];
  /** calico, BIRD nodes: shapes that differ from Calico's defaults (absent: none) */
  variants?: LabVariants;
  /** calico `up --ipv6`: dual stack, but for the nodes listed (absent: IPv4 only) */
  ipv6?: LabIpv6;
  podsPerNode: number;
  createdAt: string;
  nextIndex: number;
  nodes: LabNode[];
}

/** Calico-style nodes that do not look like the others (by node index); BIRD nodes only. */
export interface LabVariants {
  /** announce their block over BGP without installing its blackhole */
  noBlackhole?: number[];
  /** install none of the routes they learn: they reach the other pods through an aggregate route via `via` */
  installNone?: Array<{ node: number; via: number }>;
  /** `node` also announces `of`'s block (with itself as next hop, routing it on to `of`): the others reach `of` by ECMP */
  alsoAnnounce?: Array<{ node: number; of: number }>;
}

/** `up --ipv6 [--ipv6-except I,..] [--ipv6-only-pods I,..]`, by node index. */
export interface LabIpv6 {
  /** nodes without IPv6 at all: no IPv6 address, block or session */
  except: number[];
  /** nodes whose pods get an IPv6 address only */
  onlyPods: number[];
}

export function labDir(lab: string): string {
  return join(LAB_ROOT, lab);
}

export function nodeDir(lab: string, node: string): string {
  return join(labDir(lab), node);
}

/** The node's CNI records (host-local's networks/, the runtime's results/): its /var/lib/cni. */
export function nodeCniDir(lab: string, node: string): string {
  return join(nodeDir(lab, node), 'cni');
}

export function statePath(lab: string): string {
  return join(labDir(lab), 'state.json');
}

export function loadState(lab: string): LabState | null {
  const path = statePath(lab);
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as LabState;
}

export function requireState(lab: string): LabState {
  const state = loadState(lab);
  if (!state) throw new Error(`no lab named '${lab}' is up (start one with: npm run lab -- up --name ${lab} ...)`);
  return state;
}

/** Written atomically: the route-sync agent reads this file while the CLI changes it. */
export function saveState(state: LabState): void {
  mkdirSync(labDir(state.name), { recursive: true });
  const path = statePath(state.name);
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${path}.tmp`, path);
}

export function removeLabDir(lab: string): void {
  rmSync(labDir(lab), { recursive: true, force: true });
}

/** The node's BGP daemon: as recorded, else (labs made before it was recorded) the style's. */
export function daemonOf(state: LabState, node: LabNode): Daemon | null {
  return node.daemon === undefined ? defaultDaemon(state.style) : node.daemon;
}

export function findNode(state: LabState, name: string): LabNode {
  const node = state.nodes.find((n) => n.name === name);
  if (!node) {
    throw new Error(
      `lab '${state.name}' has no node '${name}' (nodes: ${state.nodes.map((n) => n.name).join(', ') || 'none'})`,
    );
  }
  return node;
}
