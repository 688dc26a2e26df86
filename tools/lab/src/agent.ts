// The lab's stand-in for kube-router's route controller: it watches the GoBGP RIB of every node that
// runs GoBGP (every kube-router node, and the GoBGP nodes of a mixed calico lab) and programs the
// kernel the way kube-router does (`ip route replace <podCIDR> via <node IP> proto 17`).
// Like kube-router it applies each path update as it arrives and re-syncs everything only on start
// and every `NETATLAS_LAB_RESYNC_S` seconds (kube-router's --routes-sync-period, default 5 min), so a
// route deleted by hand stays deleted until then: that is the route loss netatlas must see.
// Usage (started by `lab up` when a node runs GoBGP, inside the lab's underlay namespace): agent.ts <lab>
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ipn } from './exec.js';
import { gobgpRib, parseRibPaths, type RibPath } from './gobgp.js';
import { KUBE_ROUTER_ROUTE_PROTO } from './plan.js';
import { daemonOf, loadState, type LabNode } from './state.js';

const lab = process.argv[2] ?? '';
const RESYNC_MS = Number(process.env['NETATLAS_LAB_RESYNC_S'] ?? 300) * 1000;

interface Watch {
  monitor: ChildProcess;
  node: LabNode;
  pending: Set<string>;
  timer: NodeJS.Timeout | null;
  lastFullSync: number;
}

const watches = new Map<string, Watch>();

function log(msg: string): void {
  process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
}

function wanted(node: LabNode, rib: RibPath[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of rib) {
    if (!p.best || p.prefix === node.podCidr || !p.nexthop || p.nexthop === '0.0.0.0') continue;
    out.set(p.prefix, p.nexthop);
  }
  return out;
}

async function installed(node: LabNode): Promise<Set<string>> {
  const r = await ipn(node.namespace, ['-j', 'route', 'show', 'proto', String(KUBE_ROUTER_ROUTE_PROTO)]);
  const routes = JSON.parse(r.stdout.trim() || '[]') as { dst: string }[];
  return new Set(routes.map((x) => x.dst));
}

async function program(node: LabNode, prefix: string, nexthop: string | undefined): Promise<void> {
  if (nexthop) {
    await ipn(node.namespace, [
      'route', 'replace', prefix, 'via', nexthop, 'dev', 'eth0', 'proto', String(KUBE_ROUTER_ROUTE_PROTO),
    ]);
  } else {
    await ipn(node.namespace, ['route', 'del', prefix, 'proto', String(KUBE_ROUTER_ROUTE_PROTO)], { allowFail: true });
  }
}

async function fullSync(w: Watch): Promise<void> {
  const want = wanted(w.node, await gobgpRib(w.node.namespace));
  const have = await installed(w.node);
  for (const [prefix, nh] of want) await program(w.node, prefix, nh);
  for (const prefix of have) if (!want.has(prefix)) await program(w.node, prefix, undefined);
  w.lastFullSync = Date.now();
}

async function syncPrefixes(w: Watch): Promise<void> {
  const prefixes = [...w.pending];
  w.pending.clear();
  const want = wanted(w.node, await gobgpRib(w.node.namespace));
  for (const prefix of prefixes) {
    if (prefix === w.node.podCidr) continue;
    await program(w.node, prefix, want.get(prefix));
  }
}

function startWatch(node: LabNode): void {
  const monitor = spawn(
    'ip',
    ['netns', 'exec', node.namespace, 'gobgp', '-u', '127.0.0.1', '-p', '50051', 'monitor', 'global', 'rib', '-j'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const w: Watch = { monitor, node, pending: new Set(), timer: null, lastFullSync: 0 };
  watches.set(node.name, w);
  createInterface({ input: monitor.stdout! }).on('line', (line) => {
    try {
      for (const p of parseRibPaths(JSON.parse(line))) w.pending.add(p.prefix);
    } catch {
      return;
    }
    // a burst of updates (a node joining) becomes one RIB read
    w.timer ??= setTimeout(() => {
      w.timer = null;
      syncPrefixes(w).catch((err: Error) => log(`${node.name}: sync failed: ${err.message}`));
    }, 50);
  });
  monitor.on('exit', () => {
    if (watches.get(node.name) === w) watches.delete(node.name);
  });
  // monitor first, then a full sync, so no update falls between the two
  setTimeout(() => {
    fullSync(w).catch((err: Error) => log(`${node.name}: full sync failed: ${err.message}`));
  }, 200);
}

function tick(): void {
  const state = loadState(lab);
  if (!state) {
    log('lab state gone: exiting');
    for (const w of watches.values()) w.monitor.kill();
    process.exit(0);
  }
  const active = new Map(
    state.nodes
      .filter((n) => n.state === 'up' && n.bgp === 'running' && daemonOf(state, n) === 'gobgp')
      .map((n) => [n.name, n] as const),
  );
  for (const [name, w] of watches) {
    const node = active.get(name);
    if (!node) {
      w.monitor.kill();
      watches.delete(name);
    } else {
      w.node = node;
      if (Date.now() - w.lastFullSync > RESYNC_MS && w.lastFullSync > 0) {
        fullSync(w).catch((err: Error) => log(`${name}: resync failed: ${err.message}`));
      }
    }
  }
  for (const node of active.values()) if (!watches.has(node.name)) startWatch(node);
}

log(`route-sync agent for lab '${lab}' started (resync every ${RESYNC_MS / 1000} s)`);
setInterval(tick, 500);
tick();
