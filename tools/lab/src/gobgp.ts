// GoBGP as kube-router embeds it: an iBGP full mesh (AS 64512) announcing each node's pod CIDR.
// gobgpd does not program the kernel; the lab's route-sync agent (agent.ts) does, as kube-router does.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nsExec, sleep } from './exec.js';
import { ASN, LAB_TIMERS, type Timers } from './plan.js';
import { namespacePids, processName, spawnInNamespace, stopNamed } from './processes.js';
import { nodeDir } from './state.js';

/** Every node namespace has its own loopback, so the same API port serves each node. */
export const GOBGP_API = '127.0.0.1:50051';

export interface GobgpConfigInput {
  routerId: string;
  peers: string[];
  timers: Timers;
}

export function renderGobgpConfig(c: GobgpConfigInput): string {
  const timers =
    c.timers === 'lab'
      ? `  [neighbors.timers.config]
    hold-time = ${LAB_TIMERS.hold}
    keepalive-interval = ${LAB_TIMERS.keepalive}
    connect-retry = ${LAB_TIMERS.connectRetry}
    idle-hold-time-after-reset = 2
`
      : '';
  const neighbors = c.peers
    .map(
      (ip) => `[[neighbors]]
  [neighbors.config]
    neighbor-address = "${ip}"
    peer-as = ${ASN}
  [neighbors.transport.config]
    local-address = "${c.routerId}"
${timers}`,
    )
    .join('\n');
  return `# written by the netatlas lab (kube-router style)
[global.config]
  as = ${ASN}
  router-id = "${c.routerId}"
  local-address-list = ["${c.routerId}"]

${neighbors}`;
}

export function gobgpConfigPath(lab: string, node: string): string {
  return join(nodeDir(lab, node), 'gobgpd.toml');
}

export function writeGobgpConfig(lab: string, node: string, input: GobgpConfigInput): void {
  writeFileSync(gobgpConfigPath(lab, node), renderGobgpConfig(input));
}

export function gobgp(ns: string, args: string[], timeoutMs = 5000) {
  return nsExec(ns, 'gobgp', ['-u', '127.0.0.1', '-p', '50051', ...args], { timeoutMs });
}

export async function startGobgp(lab: string, node: string, ns: string, announce: string): Promise<void> {
  spawnInNamespace(
    ns,
    'gobgpd',
    ['-f', gobgpConfigPath(lab, node), '--api-hosts', GOBGP_API, '--pprof-disable', '-p', '-l', 'info'],
    join(nodeDir(lab, node), 'gobgpd.log'),
  );
  for (let i = 0; ; i++) {
    try {
      await gobgp(ns, ['global'], 2000);
      break;
    } catch (err) {
      if (i >= 100) throw new Error(`gobgpd did not come up in ${ns}: ${(err as Error).message}`, { cause: err });
      await sleep(50);
    }
  }
  await gobgp(ns, ['global', 'rib', 'add', '-a', 'ipv4', announce]);
}

/** gobgpd re-reads its configuration file on SIGHUP and adds or removes neighbors accordingly. */
export async function reloadGobgp(ns: string): Promise<void> {
  for (const pid of await namespacePids(ns)) {
    if (processName(pid) === 'gobgpd') process.kill(pid, 'SIGHUP');
  }
}

/** Graceful: withdraw the announcement first, then stop (gobgpd sends a Cease on SIGTERM). */
export async function stopGobgpGracefully(ns: string, announce: string): Promise<void> {
  await gobgp(ns, ['global', 'rib', 'del', '-a', 'ipv4', announce]).catch(() => undefined);
  await stopNamed(ns, 'gobgpd', 'SIGTERM');
}

/** BGP FSM states as GoBGP's API numbers them. */
export const GOBGP_SESSION_STATES = ['unknown', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];

export interface GobgpNeighbor {
  address: string;
  state: string;
}

export async function gobgpNeighbors(ns: string): Promise<GobgpNeighbor[]> {
  const r = await gobgp(ns, ['neighbor', '-j']);
  const list = JSON.parse(r.stdout || '[]') as { state?: { neighbor_address?: string; session_state?: number } }[];
  return list.map((n) => ({
    address: n.state?.neighbor_address ?? '',
    state: GOBGP_SESSION_STATES[n.state?.session_state ?? 0] ?? 'unknown',
  }));
}

export interface RibPath {
  prefix: string;
  nexthop: string;
  best: boolean;
  withdrawal: boolean;
}

interface RawPath {
  nlri?: { prefix?: string };
  best?: boolean;
  withdrawal?: boolean;
  attrs?: { type: number; nexthop?: string }[];
}

/** Flatten `gobgp global rib -j` (an object prefix -> paths) or `monitor` lines (an array of paths). */
export function parseRibPaths(json: unknown): RibPath[] {
  const raw: RawPath[] = Array.isArray(json)
    ? (json as RawPath[])
    : Object.values((json ?? {}) as Record<string, RawPath[]>).flat();
  return raw
    .filter((p) => typeof p.nlri?.prefix === 'string')
    .map((p) => ({
      prefix: p.nlri?.prefix ?? '',
      nexthop: p.attrs?.find((a) => a.type === 3)?.nexthop ?? '',
      best: p.best === true,
      withdrawal: p.withdrawal === true,
    }));
}

export async function gobgpRib(ns: string): Promise<RibPath[]> {
  const r = await gobgp(ns, ['global', 'rib', '-a', 'ipv4', '-j']);
  return parseRibPaths(JSON.parse(r.stdout.trim() || '{}'));
}
