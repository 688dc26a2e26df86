// BIRD 2 as Calico runs it: a static blackhole for the node's block, exported over an iBGP mesh
// (or to/through a route reflector) and BGP routes programmed into the kernel as `proto bird`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, sleep } from './exec.js';
import { ASN, LAB_TIMERS, type Timers } from './plan.js';
import { spawnInNamespace, stopNamed } from './processes.js';
import { nodeDir } from './state.js';

export interface BirdPeer {
  ip: string;
  /** this peer is our route reflector client (we are the reflector) */
  rrClient?: boolean;
}

/**
 * Calico's protocol names: `Mesh_<ip>` for full-mesh peers, `Node_<ip>` for reflector sessions,
 * the address's dots (IPv4) or colons (IPv6: `Mesh_fd00_20__12`) made underscores.
 */
export function birdProtocolName(peerIp: string, mesh: boolean): string {
  return `${mesh ? 'Mesh' : 'Node'}_${peerIp.replace(/[.:]/g, '_')}`;
}

/** The peer address a protocol named by birdProtocolName stands for; null for other protocols. */
export function birdProtocolPeer(name: string): string | null {
  const m = /^(?:Mesh|Node)_(.+)$/.exec(name);
  if (!m?.[1]) return null;
  // four decimal groups are IPv4; anything else is IPv6 (an IPv6 address never has four groups alone)
  return /^\d+_\d+_\d+_\d+$/.test(m[1]) ? m[1].replace(/_/g, '.') : m[1].replace(/_/g, ':');
}

/** `up --ipv6`: the node's IPv6 side, in BIRD next to the IPv4 one. */
export interface BirdIpv6Input {
  /** the node's IPv6 underlay address: the sessions' local address and the next hop it announces */
  address: string;
  /** the node's IPv6 block */
  block: string;
  /** IPv6 sessions, to the other IPv6 nodes' IPv6 addresses (as Calico peers over IPv6 for IPv6) */
  peers: BirdPeer[];
}

export interface BirdConfigInput {
  routerId: string;
  block: string;
  peers: BirdPeer[];
  mesh: boolean;
  isReflector: boolean;
  timers: Timers;
  logFile: string;
  /** install the block's blackhole in the kernel (default true; false: announced only) */
  installBlock?: boolean;
  /** install what it learns over BGP in the kernel (default true) */
  installLearned?: boolean;
  /** more static routes it holds and announces as its own (`route <prefix> via <ip>`) */
  extraRoutes?: Array<{ prefix: string; via: string }>;
  /** dual stack (`up --ipv6`): an IPv6 block and IPv6 sessions; absent: IPv4 only, as always */
  ipv6?: BirdIpv6Input;
}

// a reflector passes routes on with their next hop, so clients route straight to the announcing node
const REFLECTOR_NEXT_HOP = '    # reflector: next hops are passed on unchanged\n';

export function renderBirdConfig(c: BirdConfigInput): string {
  const t = c.timers === 'lab'
    ? `  hold time ${LAB_TIMERS.hold};\n  keepalive time ${LAB_TIMERS.keepalive};\n  connect retry time ${LAB_TIMERS.connectRetry};\n  error wait time 1, 10;\n`
    : '';
  // a reflector passes on what it learns; everyone else announces only its own block
  const exportRule = c.isReflector ? 'export where source = RTS_BGP || proto = "static_block";' : 'export where proto = "static_block";';
  const installBlock = c.installBlock ?? true;
  const installLearned = c.installLearned ?? true;
  const kernelExport =
    !installLearned && !installBlock && (c.extraRoutes ?? []).length === 0
      ? 'export none;'
      : `export where ${[installLearned ? 'source = RTS_BGP' : null, installBlock ? 'proto = "static_block"' : `(proto = "static_block" && net != ${c.block})`].filter(Boolean).join(' || ')};`;
  const extra = (c.extraRoutes ?? []).map((r) => `  route ${r.prefix} via ${r.via};
`).join('');
  const peers = c.peers
    .map(
      (p) =>
        `protocol bgp ${birdProtocolName(p.ip, c.mesh)} from calico_peer {\n  neighbor ${p.ip} as ${ASN};\n${p.rrClient ? '  rr client;\n' : ''}}\n`,
    )
    .join('\n');
  return `# written by the netatlas lab (Calico style)
router id ${c.routerId};
log "${c.logFile}" { info, remote, warning, error, auth, fatal, bug };

protocol device { scan time 10; }

# Like Calico: keep routes in the kernel if BIRD stops (persist), program learned routes.
protocol kernel {
  ipv4 {
    import none;
    ${kernelExport}
  };
  persist;
  scan time 2;
  merge paths on;
}

protocol static static_block {
  ipv4;
  route ${c.block} blackhole;
${extra}}

template bgp calico_peer {
  local ${c.routerId} as ${ASN};
  direct;
${t}  ipv4 {
    import all;
    ${exportRule}
${c.isReflector ? REFLECTOR_NEXT_HOP : '    next hop self;\n'}    gateway direct;
  };
}

${peers}${c.ipv6 ? renderBirdIpv6(c, c.ipv6, t) : ''}`;
}

/**
 * The IPv6 half of a dual-stack node, as Calico's bird6 has it: its own kernel protocol and static
 * block, and separate sessions between the nodes' IPv6 addresses (`Mesh_fd00_20__12`), each with
 * an ipv6 channel that announces the node's global IPv6 address as next hop.
 */
function renderBirdIpv6(c: BirdConfigInput, v6: BirdIpv6Input, timers: string): string {
  const exportRule = c.isReflector ? 'export where source = RTS_BGP || proto = "static_block6";' : 'export where proto = "static_block6";';
  const peers = v6.peers
    .map((p) => `protocol bgp ${birdProtocolName(p.ip, c.mesh)} from calico_peer6 {\n  neighbor ${p.ip} as ${ASN};\n${p.rrClient ? '  rr client;\n' : ''}}\n`)
    .join('\n');
  return `
# IPv6 (dual stack): the same, over IPv6 sessions between the nodes' IPv6 addresses.
protocol kernel kernel6 {
  ipv6 {
    import none;
    export where source = RTS_BGP || proto = "static_block6";
  };
  persist;
  scan time 2;
  merge paths on;
}

protocol static static_block6 {
  ipv6;
  route ${v6.block} blackhole;
}

template bgp calico_peer6 {
  local ${v6.address} as ${ASN};
  direct;
${timers}  ipv6 {
    import all;
    ${exportRule}
${c.isReflector ? REFLECTOR_NEXT_HOP : '    next hop self;\n'}    gateway direct;
  };
}

${peers}`;
}

export function birdSocket(lab: string, node: string): string {
  return join(nodeDir(lab, node), 'bird.ctl');
}

export function birdConfigPath(lab: string, node: string): string {
  return join(nodeDir(lab, node), 'bird.conf');
}

export function writeBirdConfig(lab: string, node: string, input: Omit<BirdConfigInput, 'logFile'>): void {
  writeFileSync(
    birdConfigPath(lab, node),
    renderBirdConfig({ ...input, logFile: join(nodeDir(lab, node), 'bird.log') }),
  );
}

export async function startBird(lab: string, node: string, ns: string): Promise<void> {
  const sock = birdSocket(lab, node);
  spawnInNamespace(ns, 'bird', ['-f', '-c', birdConfigPath(lab, node), '-s', sock], join(nodeDir(lab, node), 'bird.out'));
  // ready once the control socket answers
  for (let i = 0; i < 100; i++) {
    const r = await run('birdc', ['-s', sock, 'show', 'status'], { allowFail: true, timeoutMs: 2000 });
    if (r.code === 0 && /Daemon is up and running/.test(r.stdout)) return;
    await sleep(50);
  }
  throw new Error(`bird did not come up in ${ns} (see ${join(nodeDir(lab, node), 'bird.out')})`);
}

export async function reconfigureBird(lab: string, node: string): Promise<void> {
  const r = await run('birdc', ['-s', birdSocket(lab, node), 'configure'], { timeoutMs: 10_000 });
  if (!/Reconfigured|Reconfiguration in progress/.test(r.stdout)) {
    throw new Error(`birdc configure on ${node}: ${r.stdout.trim()}`);
  }
}

/** Graceful stop: BIRD closes its sessions with a Cease notification, so peers drop routes at once. */
export async function stopBirdGracefully(lab: string, node: string, ns: string): Promise<void> {
  await run('birdc', ['-s', birdSocket(lab, node), 'down'], { allowFail: true, timeoutMs: 10_000 });
  await stopNamed(ns, 'bird', 'SIGTERM');
}

export interface BirdProtocolState {
  name: string;
  proto: string;
  state: string;
  info: string;
}

/** `birdc show protocols`, table form: enough to tell whether every BGP session is Established. */
export async function birdProtocols(lab: string, node: string): Promise<BirdProtocolState[]> {
  const r = await run('birdc', ['-s', birdSocket(lab, node), 'show', 'protocols'], { timeoutMs: 5000 });
  const out: BirdProtocolState[] = [];
  for (const line of r.stdout.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    const [name, proto, , state] = tokens;
    if (!name || !proto || !state || name === 'Name' || name === 'BIRD' || tokens.length < 5) continue;
    // "Since" is one or two tokens (time, or date and time) depending on BIRD's timeformat
    const info = tokens.slice(4).filter((t) => !/^\d/.test(t)).join(' ');
    out.push({ name, proto, state, info });
  }
  return out;
}
