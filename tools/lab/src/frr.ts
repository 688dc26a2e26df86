// FRR as a Calico-style node's BGP daemon: zebra (programs the kernel), staticd (the node's block as
// a blackhole) and bgpd (iBGP, AS 64512, the block announced by a `network` statement), inside the
// node's namespace. Several FRRs run side by side on one machine, so nothing of an instance lives
// at FRR's defaults (/var/run/frr, /etc/frr): each has its own directory under the node's lab
// directory with its vty sockets (`--vty_socket`, what vtysh and the collector are given), zebra's
// API socket (`-z`, which staticd and bgpd connect to), pid files (`-i`), configs (`-f`) and logs.
// Netlink and TCP port 179 are per namespace already.
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, sleep } from './exec.js';
import { ASN, LAB_TIMERS, type Timers } from './plan.js';
import { namespacePids, processName, spawnInNamespace, stopPids } from './processes.js';
import { nodeDir } from './state.js';

/** Debian's frr package keeps its daemons here, off PATH. */
export const FRR_DAEMON_DIR = '/usr/lib/frr';
/** Started in this order (staticd and bgpd connect to zebra), stopped in the reverse. */
export const FRR_DAEMONS = ['zebra', 'staticd', 'bgpd'] as const;
type FrrDaemon = (typeof FRR_DAEMONS)[number];

export interface FrrPeer {
  ip: string;
}

export interface FrrConfigInput {
  routerId: string;
  block: string;
  peers: FrrPeer[];
  timers: Timers;
  logDir: string;
}

/** One config file per daemon: each parses only its own (a shared file makes every daemon log the others' lines as errors). */
export function renderFrrConfigs(c: FrrConfigInput): Record<FrrDaemon, string> {
  const head = (d: FrrDaemon) => `! written by the netatlas lab (Calico style, FRR)\nfrr defaults traditional\nhostname ${c.routerId}-${d}\nlog file ${join(c.logDir, `${d}.log`)} informational\n!\n`;
  const timers = c.timers === 'lab' ? ` timers bgp ${LAB_TIMERS.keepalive} ${LAB_TIMERS.hold}\n` : '';
  const neighbors = c.peers
    .map((p) => ` neighbor ${p.ip} remote-as ${ASN}\n${c.timers === 'lab' ? ` neighbor ${p.ip} timers connect ${LAB_TIMERS.connectRetry}\n` : ''}`)
    .join('');
  return {
    zebra: head('zebra'),
    // like Calico's BIRD: the block is a blackhole on the node, its pods' /32s are more specific
    staticd: `${head('staticd')}ip route ${c.block} blackhole\n!\n`,
    bgpd: `${head('bgpd')}router bgp ${ASN}
 bgp router-id ${c.routerId}
 no bgp ebgp-requires-policy
 ! FRR closes its sessions without a Cease when it stops, and as graceful-restart helper BIRD
 ! would then keep its routes 120 s: the lab's stop-bgp means peers drop them at once
 bgp graceful-restart-disable
${timers}${neighbors} !
 address-family ipv4 unicast
  network ${c.block}
 exit-address-family
!
`,
  };
}

/** Where one node's FRR keeps everything; the collector's `--frr-vty-socket`. */
export function frrDir(lab: string, node: string): string {
  return join(nodeDir(lab, node), 'frr');
}

/** The daemons drop to user frr: it must own the directory they write sockets, pids and logs to. */
async function frrIds(): Promise<{ uid: number; gid: number }> {
  const [u, g] = await Promise.all([run('id', ['-u', 'frr']), run('id', ['-g', 'frr'])]);
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export async function writeFrrConfig(lab: string, node: string, input: Omit<FrrConfigInput, 'logDir'>): Promise<void> {
  const dir = frrDir(lab, node);
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = await frrIds();
  chownSync(dir, uid, gid);
  for (const [d, text] of Object.entries(renderFrrConfigs({ ...input, logDir: dir }))) {
    const file = join(dir, `${d}.conf`);
    writeFileSync(file, text);
    chownSync(file, uid, gid);
  }
}

/** `vtysh --vty_socket DIR -d bgpd -c …`: this instance's bgpd only. */
export function vtysh(lab: string, node: string, commands: string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}) {
  return run('vtysh', ['--vty_socket', frrDir(lab, node), '-d', 'bgpd', ...commands.flatMap((c) => ['-c', c])], {
    timeoutMs: opts.timeoutMs ?? 5000,
    allowFail: opts.allowFail,
  });
}

async function running(ns: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const pid of await namespacePids(ns)) {
    const name = processName(pid);
    if (name !== null) out.set(name, [...(out.get(name) ?? []), pid]);
  }
  return out;
}

/** Start whichever of zebra, staticd and bgpd is not running (start-bgp after stop-bgp starts bgpd alone). */
export async function startFrr(lab: string, node: string, ns: string): Promise<void> {
  const dir = frrDir(lab, node);
  const have = await running(ns);
  for (const d of FRR_DAEMONS) {
    if (have.has(d)) continue;
    spawnInNamespace(
      ns,
      join(FRR_DAEMON_DIR, d),
      ['-f', join(dir, `${d}.conf`), '-i', join(dir, `${d}.pid`), '--vty_socket', dir, '-z', join(dir, 'zserv.api'), '-P', '0'],
      join(dir, `${d}.out`),
    );
    if (d === 'zebra') await waitFor(`zebra in ${ns}`, dir, async () => (await running(ns)).has('zebra'));
  }
  await waitFor(`bgpd in ${ns}`, dir, async () => (await vtysh(lab, node, ['show bgp summary json'], { allowFail: true, timeoutMs: 2000 })).code === 0);
}

async function waitFor(what: string, dir: string, ready: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ready()) return;
    await sleep(50);
  }
  throw new Error(`${what} did not come up (see ${dir}/*.out and *.log)`);
}

/**
 * stop-bgp: bgpd alone, as BIRD's or GoBGP's stop ends only their BGP. SIGTERM makes bgpd send
 * its peers a Cease; zebra then takes bgpd's routes out of the kernel. `kill`: SIGKILL, no word.
 */
export async function stopFrrBgpd(ns: string, kill: boolean): Promise<void> {
  const pids = (await running(ns)).get('bgpd') ?? [];
  await stopPids(pids, kill ? 'SIGKILL' : 'SIGTERM');
}

/**
 * Make bgpd's neighbors those of `peers` without restarting it (a restart would reset every
 * session): `no neighbor` for the gone, `neighbor … remote-as` for the new.
 */
export async function syncFrrPeers(lab: string, node: string, peers: FrrPeer[], timers: Timers): Promise<void> {
  const current = Object.keys(await frrSessions(lab, node));
  const wanted = new Set(peers.map((p) => p.ip));
  const lines: string[] = [];
  for (const ip of current) if (!wanted.has(ip)) lines.push(`no neighbor ${ip}`);
  for (const ip of wanted) {
    if (current.includes(ip)) continue;
    lines.push(`neighbor ${ip} remote-as ${ASN}`);
    if (timers === 'lab') lines.push(`neighbor ${ip} timers connect ${LAB_TIMERS.connectRetry}`);
  }
  if (lines.length === 0) return;
  const r = await vtysh(lab, node, ['configure terminal', `router bgp ${ASN}`, ...lines]);
  if (/%|Unknown command/.test(r.stdout + r.stderr)) throw new Error(`vtysh on ${node}: ${(r.stdout + r.stderr).trim()}`);
}

/** Peer address -> lower-case BGP state, from `show bgp summary json` (every family). */
export async function frrSessions(lab: string, node: string): Promise<Record<string, string>> {
  const r = await vtysh(lab, node, ['show bgp summary json']);
  const json = JSON.parse(r.stdout || '{}') as Record<string, { peers?: Record<string, { state?: string }> }>;
  const out: Record<string, string> = {};
  for (const section of Object.values(json)) {
    for (const [ip, p] of Object.entries(section.peers ?? {})) out[ip] = (p.state ?? '').replace(/\s*\(.*\)$/, '').toLowerCase();
  }
  return out;
}
