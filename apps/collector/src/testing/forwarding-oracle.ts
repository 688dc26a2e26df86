// The forwarding engine (libs/graph/src/forwarding.ts) against the real kernel, on every lab shape
// (@netatlas/lab-testing SHAPES): the lab's nodes are read with the real collector, the engine is
// built from those facts, and for every node x destination its answer is compared with
// `ip -n <node> -j -d route get <addr>` (the kernel's chosen route and next hop) and `route get
// fibmatch <addr>` (the whole route that matched: prefix, type, table, metric, every next hop).
// A second oracle for delivery: `walk` there and back against a real `ping -c1 -W0.5` from the node,
// for the pod-range destinations (lab addresses only).
//
// Used by forwarding-lab.spec.ts (CI) and bench/forwarding.bench.ts (npm run bench:forwarding).
import { spawn } from 'node:child_process';
import {
  Fib,
  addrKey,
  addressOwners,
  formatIp,
  formatPrefix,
  forwardOn,
  indexHosts,
  mask,
  parseIp,
  parsePrefix,
  walk,
  type Branch,
  type Host,
  type Ip,
  type Prefix,
  type WalkContext,
  type WalkResult,
} from '@netatlas/graph';
import { lab, labStatus, type LabNodeStatus, type LabStatus, type Shape } from '@netatlas/lab-testing';
import type { Fact } from '@netatlas/wire/core';
import { parseCollectorArgs } from '../args.js';
import { Collector } from '../collector.js';
import { selectReaders } from '../readers/registry.js';
import { SystemRunner } from '../runner.js';

// ------------------------------------------------------------------ what the kernel says

/** `ip -j -d route get` / `route get fibmatch` as printed (the fields compared). */
export interface KernelRoute {
  type?: string;
  dst?: string;
  table?: string;
  gateway?: string;
  via?: { family?: string; host?: string };
  dev?: string;
  prefsrc?: string;
  metric?: number;
  flags?: string[];
  nexthops?: Array<{ gateway?: string; via?: { host?: string }; dev?: string; flags?: string[] }>;
}

/** The kernel's answer for one address: the chosen route and the route that matched, or the error. */
export type KernelAnswer =
  | { ok: true; chosen: KernelRoute; matched: KernelRoute }
  | { ok: false; error: string; drop: DropKind | null };

type DropKind = 'blackhole' | 'unreachable' | 'prohibit' | 'no-route';

/**
 * `ip route get` refuses to answer for a route that does not forward, with the errno the lookup
 * gave (the same for IPv4 and IPv6; a `throw` that ends the lookup is ENETUNREACH as well).
 */
export const ROUTE_GET_ERRORS: Readonly<Record<string, DropKind>> = {
  'Invalid argument': 'blackhole', // EINVAL
  'No route to host': 'unreachable', // EHOSTUNREACH
  'Permission denied': 'prohibit', // EACCES
  'Network is unreachable': 'no-route', // ENETUNREACH
};

function run(cmd: string, args: string[], input: string, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input === '' ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // a command that exits without reading its input
      child.stdin.end(input);
    }
  });
}

/**
 * `ip route get <args>` for each line of `queries`, in one `ip -batch` in the node: stdout holds one
 * JSON array per command that succeeded, in order; stderr the error and the failed command's line
 * (`RTNETLINK answers: …` then `Command failed -:N`). Each answer: the route, or the error's text.
 */
export async function routeGetBatch(ns: string, queries: readonly string[]): Promise<Array<KernelRoute | string>> {
  const lines = queries.map((q) => `route get ${q}`);
  const { stdout, stderr } = await run('ip', ['-n', ns, '-j', '-d', '-force', '-batch', '-'], lines.join('\n') + '\n');
  const failed = new Map<number, string>();
  let message = '';
  for (const l of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(l.trim());
    if (m) failed.set(Number(m[1]) - 1, message);
    else if (l.trim() !== '') message = l.replace(/^RTNETLINK answers:\s*/, '').trim();
  }
  const outputs = stdout.split('\n').filter((l) => l.trim() !== '');
  if (outputs.length + failed.size !== lines.length) {
    throw new Error(`ip -n ${ns} -batch: ${lines.length} commands, ${outputs.length} answers and ${failed.size} failures\n${stderr}`);
  }
  const results: Array<KernelRoute | string> = [];
  let next = 0;
  for (let i = 0; i < lines.length; i++) {
    const err = failed.get(i);
    if (err !== undefined) results.push(err);
    else results.push((JSON.parse(outputs[next++] ?? '[]') as KernelRoute[])[0] ?? 'empty answer');
  }
  return results;
}

/** `route get` and `route get fibmatch` for every address, in one batch per node. */
export async function routeGets(ns: string, addrs: readonly string[]): Promise<Map<string, KernelAnswer>> {
  const results = await routeGetBatch(ns, addrs.flatMap((a) => [a, `fibmatch ${a}`]));
  const out = new Map<string, KernelAnswer>();
  addrs.forEach((a, i) => {
    const chosen = results[2 * i];
    const matched = results[2 * i + 1];
    if (chosen === undefined || matched === undefined || typeof chosen === 'string' || typeof matched === 'string') {
      const error = typeof chosen === 'string' ? chosen : typeof matched === 'string' ? matched : 'no answer';
      out.set(a, { ok: false, error, drop: ROUTE_GET_ERRORS[error] ?? null });
    } else out.set(a, { ok: true, chosen, matched });
  });
  return out;
}

const gwOf = (r: { gateway?: string; via?: { host?: string } }): string | null => r.gateway ?? r.via?.host ?? null;
const hop = (gateway: string | null, dev: string | null) => `${gateway === null ? '' : `via ${gateway} `}dev ${dev ?? '-'}`;
const canonAddr = (s: string | null): string | null => {
  if (s === null) return null;
  const ip = parseIp(s);
  return ip ? formatIp(ip) : s;
};
const canonHop = (gateway: string | null, dev: string | null) => hop(canonAddr(gateway), dev);

/** `default`, a bare address or a prefix, as `a.b.c.d/len` */
function canonDst(dst: string, v: 4 | 6): string {
  const p = parsePrefix(dst, v === 4 ? 'inet' : 'inet6');
  return p ? formatPrefix(p.ip, p.len) : dst;
}

function kernelText(k: KernelAnswer): string {
  if (!k.ok) return `route get fails: ${k.error}${k.drop ? ` (${k.drop})` : ''}`;
  const m = k.matched;
  const hops = m.nexthops?.length ? m.nexthops.map((n) => hop(gwOf(n), n.dev ?? null)).join(', ') : hop(gwOf(m), m.dev ?? null);
  return `${m.type ?? 'unicast'} ${m.dst ?? '?'} table ${m.table ?? 'main'}${m.metric ? ` metric ${m.metric}` : ''} ${hops}; chosen ${hop(gwOf(k.chosen), k.chosen.dev ?? null)}`;
}

// ------------------------------------------------------------------ what the engine says

function engineText(bs: readonly Branch[]): string {
  const r = bs[0]?.route ?? null;
  if (r === null) return `no route (${bs[0]?.drop ?? '?'})`;
  const branches = bs
    .map((b) => {
      const where = b.outcome === 'forward' ? `forward${b.encap ? ` ${b.encap}` : ''} to ${b.toAddress ?? 'the destination'} (${b.toNode ?? 'no known node'})` : b.outcome === 'drop' ? `drop ${b.drop}` : 'local';
      return `${hop(b.gateway, b.dev)}${b.ecmp ? ' ecmp' : ''} -> ${where}`;
    })
    .join(', ');
  return `${r.type} ${r.dst} table ${r.table}${r.metric ? ` metric ${r.metric}` : ''} ${branches}`;
}

/** Why the engine's branches and the kernel's answer differ, or null when they agree. */
export function compareRouteGet(branches: readonly Branch[], k: KernelAnswer, v: 4 | 6, wholePrefix: boolean, stateDrops: readonly string[] = []): string | null {
  const first = branches[0];
  if (first === undefined) return 'the engine gives no branch';
  const route = first.route;
  const kernelDrop = !k.ok ? k.drop : (['blackhole', 'unreachable', 'prohibit'] as const).find((t) => t === k.matched.type) ?? null;
  if (!k.ok || kernelDrop !== null) {
    if (kernelDrop === null) return `the kernel fails with an unexpected error: ${k.ok ? '' : k.error}`;
    if (branches.every((b) => b.outcome === 'drop' && b.drop === kernelDrop)) return null;
    return `the kernel drops it (${kernelDrop}), the engine does not`;
  }
  if (route === null) return 'the engine has no route, the kernel has one';
  const m = k.matched;
  const problems: string[] = [];
  if ((m.type ?? 'unicast') !== route.type) problems.push(`type ${route.type} vs ${m.type ?? 'unicast'}`);
  // IPv4 under the default rules keeps local and main in one trie, and names it main
  const kernelTable = m.table ?? 'main';
  if (kernelTable !== route.table && !(v === 4 && route.table === 'local' && kernelTable === 'main')) problems.push(`table ${route.table} vs ${kernelTable}`);
  if (m.dst === undefined || canonDst(m.dst, v) !== canonDst(route.dst, v)) problems.push(`prefix ${route.dst} vs ${m.dst ?? '?'}`);
  if ((m.metric ?? 0) !== route.metric) problems.push(`metric ${route.metric} vs ${m.metric ?? 0}`);
  // the kernel never chooses a dead next hop (its device is down): the engine leaves them out too
  const live = (m.nexthops ?? []).filter((n) => !(n.flags ?? []).includes('dead'));
  const kernelHops = (live.length > 0 ? live.map((n) => canonHop(gwOf(n), n.dev ?? null)) : [canonHop(gwOf(m), m.dev ?? null)]).sort();
  const engineHops = branches.map((b) => canonHop(b.gateway, b.dev)).sort();
  if (route.type === 'local' || route.type === 'anycast') {
    // `route get` names lo for local delivery; the matched route names the device holding the address
    if (engineHops.join() !== kernelHops.join()) problems.push(`device ${engineHops.join()} vs ${kernelHops.join()}`);
    if (branches.some((b) => b.outcome !== 'local')) problems.push('the kernel delivers it locally, the engine does not');
  } else {
    if (engineHops.join(' | ') !== kernelHops.join(' | ')) problems.push(`next hops ${engineHops.join(' | ')} vs ${kernelHops.join(' | ')}`);
    // the kernel's one chosen next hop (a whole prefix is not hashed as one address: not compared)
    const chosen = canonHop(gwOf(k.chosen), k.chosen.dev ?? null);
    if (!wholePrefix && !engineHops.includes(chosen)) problems.push(`the kernel chose ${chosen}, not one of the engine's branches`);
    if (kernelHops.length > 1 && branches.some((b) => !b.ecmp)) problems.push('multipath, but not every branch is marked ecmp');
    if (kernelHops.length === 1 && branches.some((b) => b.ecmp)) problems.push('one next hop, but a branch is marked ecmp');
    // the kernel sends it on: the engine forwards it or delivers it to a pod; it may drop it only
    // for state route get does not consult (neighbor, fdb, carrier), where the caller expects that
    for (const b of branches) {
      if (b.outcome === 'drop' && !stateDrops.includes(b.drop ?? '')) problems.push(`the engine drops it (${b.drop}) where the kernel sends it ${canonHop(b.gateway, b.dev)}`);
    }
  }
  return problems.length === 0 ? null : problems.join('; ');
}

// ------------------------------------------------------------------ destinations

const hostLen = (ip: Ip) => (ip.v === 4 ? 32 : 128);
const asHost = (ip: Ip): Prefix => ({ ip, len: hostLen(ip) });

/** An address inside a prefix that is neither its first nor (IPv4) its broadcast address: `.254` of a /24. */
export function insideAddress(p: Prefix): Ip {
  const net = mask(p.ip, p.len);
  if (net.v === 4) {
    const size = 2 ** (32 - p.len);
    return { v: 4, n: (net.n + (size >= 4 ? size - 2 : size - 1)) >>> 0 };
  }
  const w = [...net.w];
  w[7] = (w[7] ?? 0) | (p.len <= 120 ? 0xfe : p.len < 128 ? 1 : 0);
  return { v: 6, w };
}

export interface Destination {
  /** what route get is asked: an address */
  addr: string;
  /** what the engine is asked: the address as a host prefix, or a whole pod range */
  prefix: Prefix;
  /** how it was chosen: "node2's pod range 10.244.2.0/24, inside", "pod … of node3", "node IP of …" */
  what: string;
}

/** Every destination a node is asked about (see the file's comment); the node's own pod ranges included. */
export function destinations(status: LabStatus, hosts: readonly Host[], from: Host, fib: Fib): Destination[] {
  const out = new Map<string, Destination>();
  const add = (d: Destination) => {
    const key = `${d.addr}|${d.prefix.len}`;
    if (!out.has(key)) out.set(key, d);
  };
  const byName = new Map(hosts.map((h) => [h.name, h]));
  for (const n of status.nodes) {
    const h = byName.get(n.name);
    const ranges = new Map<string, Prefix>();
    for (const c of [n.podCidr, ...(h?.podCidrs ?? []).map((p) => formatPrefix(p.ip, p.len))]) {
      const p = parsePrefix(c, c.includes(':') ? 'inet6' : 'inet');
      if (p) ranges.set(formatPrefix(p.ip, p.len), { ip: mask(p.ip, p.len), len: p.len });
    }
    const own = n.name === from.name;
    for (const [text, p] of ranges) {
      if (!fib.hasFamily(p.ip.v)) continue;
      const whose = own ? 'own pod range' : `${n.name}'s pod range`;
      add({ addr: formatIp(p.ip), prefix: asHost(p.ip), what: `${whose} ${text}, network address` });
      const inside = insideAddress(p);
      add({ addr: formatIp(inside), prefix: asHost(inside), what: `${whose} ${text}, inside` });
      // the whole range, as the checks ask it (compared with the route that matched its first address)
      if (!own) add({ addr: formatIp(p.ip), prefix: p, what: `${whose} ${text}, as a whole` });
    }
    for (const pod of n.pods) for (const a of [pod.ip, pod.ip6]) {
      // a pod's IPv4 and IPv6 address (`ip` is null for an IPv6-only pod, `ip6` without IPv6)
      const ip = a ? parseIp(a) : null;
      if (ip && fib.hasFamily(ip.v)) add({ addr: formatIp(ip), prefix: asHost(ip), what: own ? `own pod ${pod.name}` : `pod ${pod.name} of ${n.name}` });
    }
    for (const a of [n.underlayIp, ...(h?.underlay ?? []).map((x) => formatIp(x.ip))]) {
      const ip = parseIp(a);
      if (ip && fib.hasFamily(ip.v)) add({ addr: formatIp(ip), prefix: asHost(ip), what: own ? 'own node IP' : `node IP of ${n.name}` });
    }
  }
  const gw = parseIp(status.underlay.gateway);
  if (gw) add({ addr: formatIp(gw), prefix: asHost(gw), what: 'the underlay gateway (no node)' });
  // outside every range: route get only consults the table, nothing is sent
  for (const outside of ['8.8.8.8', '2001:4860:4860::8888']) {
    const ip = parseIp(outside) as Ip;
    if (fib.hasFamily(ip.v)) add({ addr: outside, prefix: asHost(ip), what: 'outside the lab' });
  }
  return [...out.values()];
}

// ------------------------------------------------------------------ ping

export async function ping(ns: string, addr: string): Promise<boolean> {
  const { code } = await run('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '0.5', '-q', addr], '', 10_000);
  return code === 0;
}

export async function pool<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (i < items.length) {
        const k = i++;
        out[k] = await fn(items[k] as T);
      }
    }),
  );
  return out;
}

/** Every branch of a walk delivered on node `at` (its own address, or one of its pods' interfaces). */
const deliveredOn = (w: WalkResult, at: string) => w.branches.length > 0 && w.branches.every((b) => b.end === 'delivered-elsewhere' && b.at === at);
const walkText = (w: WalkResult) =>
  w.branches.map((b) => `${b.steps.map((s) => `${s.node}: ${hop(s.branch.gateway, s.branch.dev)}`).join(' > ')} => ${b.end} at ${b.at}${b.drop ? ` (${b.drop})` : ''}`).join('; ');

// ------------------------------------------------------------------ one shape

export interface Disagreement {
  node: string;
  dst: string;
  what: string;
  why: string;
  engine: string;
  kernel: string;
}

export interface ShapeReport {
  shape: string;
  lab: string;
  nodes: number;
  pairs: number;
  agreed: number;
  disagreements: Disagreement[];
  /** whole ranges left out: a route more specific than the range matched its first address */
  notComparable: string[];
  /** walk there and back vs ping (null: not asked for this shape) */
  ping: { pairs: number; agreed: number; answered: number; disagreements: Disagreement[] } | null;
  seconds: { up: number; collect: number; compare: number; ping: number };
}

export interface ProveOptions {
  /** also compare walk with ping for the pod-range destinations */
  ping: boolean;
  /** log every pair, agreeing or not, with both sides */
  verbose?: boolean;
  log?: (line: string) => void;
}

/**
 * Read every node of a lab with the real collector, through its library (what `--once --netns <ns>
 * --node-name <node> <collectorArgs>` runs, without a process per node): every reader, the daemon
 * flags lab status gives.
 */
export async function collectLab(status: LabStatus): Promise<Map<string, Fact[]>> {
  const snaps = await Promise.all(
    status.nodes.map(async (n: LabNodeStatus) => {
      const o = parseCollectorArgs(['--once', '--netns', n.namespace, '--node-name', n.name, ...n.collectorArgs], {});
      const collector = new Collector({
        nodeName: o.nodeName ?? n.name,
        runner: new SystemRunner(o.netns),
        readers: selectReaders(o.readers),
        options: { birdSocket: o.birdSocket, gobgpApi: o.gobgpApi, frrVtySocket: o.frrVtySocket },
        timeoutMs: o.timeoutMs,
      });
      await collector.start();
      const snap = collector.snapshot();
      for (const r of ['links', 'addrs', 'routes', 'neighbors', 'fdb']) {
        if (snap.readers[r]?.status !== 'ok') throw new Error(`${n.name}: the ${r} reader is ${snap.readers[r]?.status ?? 'absent'}: ${snap.readers[r]?.error ?? ''}`);
      }
      return snap;
    }),
  );
  return new Map(snaps.map((snapshot) => [snapshot.node, snapshot.facts]));
}

/** Compare the engine with the kernel on a lab that is up (everything but bringing it up and down). */
export async function compareLab(status: LabStatus, options: ProveOptions): Promise<Omit<ShapeReport, 'shape' | 'lab' | 'seconds'> & { collectS: number; pingS: number; compareS: number }> {
  const log = options.log ?? (() => undefined);
  // ping first, so that the facts read afterwards hold the neighbor entries the pings left
  const t0 = performance.now();
  const pingTasks: Array<{ from: LabNodeStatus; addr: string }> = [];
  if (options.ping) {
    for (const from of status.nodes) {
      for (const n of status.nodes) {
        const p = parsePrefix(n.podCidr, n.podCidr.includes(':') ? 'inet6' : 'inet');
        const addrs = [...(p ? [formatIp(mask(p.ip, p.len)), formatIp(insideAddress(p))] : []), ...n.pods.flatMap((x) => [x.ip, x.ip6].filter((a): a is string => a !== null))];
        for (const addr of addrs) pingTasks.push({ from, addr });
      }
    }
  }
  const pinged = await pool(pingTasks, 16, (t) => ping(t.from.namespace, t.addr));
  // a ping that failed is tried once more: one packet lost on a busy machine is no verdict
  const again = await pool(pingTasks.filter((_, i) => !pinged[i]), 16, (t) => ping(t.from.namespace, t.addr));
  let j = 0;
  pingTasks.forEach((_, i) => {
    if (!pinged[i]) pinged[i] = again[j++] as boolean;
  });
  const pingS = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const state = await collectLab(status);
  const collectS = (performance.now() - t1) / 1000;

  const t2 = performance.now();
  const hosts = indexHosts(state);
  const owners = addressOwners(hosts);
  const fibs = new Map(hosts.map((h) => [h.name, new Fib(h)]));
  const ctx: WalkContext = { fibs, owners };
  let pairs = 0;
  let agreed = 0;
  const notComparable: string[] = [];
  const disagreements: Disagreement[] = [];
  const kernelByNode = new Map<string, Map<string, KernelAnswer>>();
  await Promise.all(
    hosts.map(async (h) => {
      const fib = fibs.get(h.name) as Fib;
      const ns = status.nodes.find((n) => n.name === h.name)?.namespace ?? h.name;
      const dsts = destinations(status, hosts, h, fib);
      const kernel = await routeGets(ns, [...new Set(dsts.map((d) => d.addr))]);
      kernelByNode.set(h.name, kernel);
      for (const d of dsts) {
        const k = kernel.get(d.addr) as KernelAnswer;
        const wholePrefix = d.prefix.len < hostLen(d.prefix.ip);
        if (wholePrefix && k.ok) {
          // the route that matched the range's first address is the range's own only when it covers all of it
          const m = k.matched.dst ? parsePrefix(canonDst(k.matched.dst, d.prefix.ip.v), d.prefix.ip.v === 4 ? 'inet' : 'inet6') : null;
          if (m === null || m.len > d.prefix.len) {
            notComparable.push(`${h.name} -> ${formatPrefix(d.prefix.ip, d.prefix.len)} (the kernel matched ${k.matched.dst ?? '?'} for its first address)`);
            continue;
          }
        }
        const branches = forwardOn(fib, d.prefix, owners);
        pairs++;
        const why = compareRouteGet(branches, k, d.prefix.ip.v, wholePrefix);
        if (options.verbose) log(`  ${why === null ? 'agree' : 'DISAGREE'} ${h.name} -> ${wholePrefix ? formatPrefix(d.prefix.ip, d.prefix.len) : d.addr} (${d.what})\n    engine: ${engineText(branches)}\n    kernel: ${kernelText(k)}`);
        if (why === null) agreed++;
        else disagreements.push({ node: h.name, dst: wholePrefix ? formatPrefix(d.prefix.ip, d.prefix.len) : d.addr, what: d.what, why, engine: engineText(branches), kernel: kernelText(k) });
      }
    }),
  );

  let pingResult: ShapeReport['ping'] = null;
  if (options.ping) {
    const held = new Set<string>(status.nodes.flatMap((n) => n.pods.flatMap((p) => [p.ip, p.ip6].flatMap((a) => (a === null ? [] : [canonAddr(a) as string])))));
    const holds = (addr: string) => {
      const k = addrKey(addr);
      return held.has(addr) || (k !== null && owners.has(k));
    };
    const rows: Disagreement[] = [];
    let agreedPing = 0;
    let answered = 0;
    pingTasks.forEach((t, i) => {
      const ok = pinged[i] as boolean;
      if (ok) answered++;
      const ip = parseIp(t.addr) as Ip;
      // whose pod range it is, in either family
      const target = status.nodes.find((n) =>
        [n.podCidr, n.podCidr6].some((c) => {
          const p = c ? parsePrefix(c, c.includes(':') ? 'inet6' : 'inet') : null;
          return p !== null && p.ip.v === ip.v && formatPrefix(p.ip, p.len) === formatPrefix(ip, p.len);
        }),
      );
      const k = kernelByNode.get(t.from.name)?.get(canonAddr(t.addr) as string);
      const src = k?.ok ? (k.chosen.prefsrc ?? null) : null;
      const there = walk(ctx, t.from.name, asHost(ip));
      const srcIp = src === null ? null : parseIp(src);
      const back = target && srcIp ? walk(ctx, target.name, asHost(srcIp)) : null;
      const engine = target !== undefined && deliveredOn(there, target.name) && back !== null && deliveredOn(back, t.from.name) && holds(formatIp(ip));
      if (engine === ok) agreedPing++;
      else {
        rows.push({
          node: t.from.name,
          dst: t.addr,
          what: `${target?.name ?? '?'}'s pod range${holds(formatIp(ip)) ? '' : ', held by no pod or node'}`,
          why: `walk says ${engine ? 'answered' : 'not answered'}, ping ${ok ? 'answered' : 'did not'}`,
          engine: `there: ${walkText(there)}; back${src ? ` to ${src}` : ''}: ${back ? walkText(back) : '-'}`,
          kernel: ok ? 'ping answered' : 'no answer',
        });
      }
    });
    pingResult = { pairs: pingTasks.length, agreed: agreedPing, answered, disagreements: rows };
  }
  const compareS = (performance.now() - t2) / 1000;
  return { nodes: hosts.length, pairs, agreed, disagreements, notComparable, ping: pingResult, collectS, pingS, compareS };
}

/** A lab name for a shape: `<prefix><index><letters of its name>`, 10 characters at most. */
export function labName(prefix: string, index: number, shape: Shape): string {
  return `${prefix}${index.toString(36)}${shape.name.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 10);
}

/** Bring the shape up, compare, and always take it down. */
export async function proveShape(shape: Shape, name: string, options: ProveOptions): Promise<ShapeReport> {
  const log = options.log ?? (() => undefined);
  await lab(['down', '--name', name]);
  try {
    log(`${shape.name}: lab up --name ${name} ${shape.up.join(' ')}`);
    const t0 = performance.now();
    await lab(['up', '--name', name, ...shape.up]);
    const up = (performance.now() - t0) / 1000;
    const status = await labStatus(name);
    const r = await compareLab(status, options);
    return { shape: shape.name, lab: name, nodes: r.nodes, pairs: r.pairs, agreed: r.agreed, disagreements: r.disagreements, notComparable: r.notComparable, ping: r.ping, seconds: { up, collect: r.collectS, compare: r.compareS, ping: r.pingS } };
  } finally {
    const t1 = performance.now();
    await lab(['down', '--name', name]);
    log(`${shape.name}: lab ${name} down (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
  }
}

// ------------------------------------------------------------------ routes no shape has

/**
 * Routes the shapes do not build, added to node 1 of a 2-node lab of `style` (inside the lab's
 * namespaces; route get sends nothing): each route type, metrics, longest prefix, multipath with a
 * dead and with a carrier-less next hop, local and main in one IPv4 trie, throw to the default
 * table, tos, an onlink gateway off the subnet, a FAILED gateway neighbor, and IPv6 (an address,
 * its subnet-router anycast, blackhole, multipath).
 * `stateDrops`: where the engine may drop what route get sends (state route get does not consult).
 */
export function edgeCommands(node2: string): { batch: string[]; sysctl: string[]; node2Batch: string[]; destinations: string[] } {
  const range = (base: string, n: number) => Array.from({ length: n }, (_, i) => `${base}${i + 1}`);
  return {
    batch: [
      'route add blackhole 10.99.1.0/24',
      'route add unreachable 10.99.2.0/24',
      'route add prohibit 10.99.3.0/24',
      'route add throw 10.99.4.0/24',
      `route add 10.99.5.0/24 via ${node2} metric 100`,
      'route add 10.99.5.0/24 via 172.20.0.1 metric 50',
      `route add 10.99.6.0/24 via ${node2}`,
      'route add blackhole 10.99.6.128/25',
      `route add 10.99.7.0/24 nexthop via ${node2} dev eth0 nexthop via 172.20.0.1 dev eth0`,
      // a next hop whose device goes down (dead) and one whose device loses its carrier (linkdown)
      'link add h5dead0 type veth peer name h5dead1',
      'addr add 192.168.77.1/24 dev h5dead0',
      'link set h5dead0 up',
      'link set h5dead1 up',
      `route add 10.99.8.0/24 nexthop via ${node2} dev eth0 nexthop via 192.168.77.2 dev h5dead0`,
      'link set h5dead0 down',
      'link add h5cd0 type veth peer name h5cd1',
      'addr add 192.168.78.1/24 dev h5cd0',
      'link set h5cd0 up',
      'link set h5cd1 up',
      `route add 10.99.9.0/24 nexthop via ${node2} dev eth0 nexthop via 192.168.78.2 dev h5cd0`,
      'link set h5cd1 down',
      // local and main: one trie for IPv4 under the default rules
      'route add local 10.77.0.0/16 dev lo table local',
      `route add 10.77.1.0/24 via ${node2}`,
      'route add 10.99.10.0/24 via 192.0.2.1 dev eth0 onlink',
      'route add throw 10.99.11.0/24',
      `route add 10.99.11.0/24 via ${node2} table default`,
      'route add 10.99.12.0/24 tos 0x10 via 172.20.0.1',
      `route add 10.99.12.0/24 via ${node2}`,
      'neigh add 172.20.0.99 dev eth0 nud failed',
      'route add 10.99.13.0/24 via 172.20.0.99',
      'addr add fd00:20::11/64 dev eth0 nodad',
      'route add fd00:99:2::/64 via fd00:20::12',
      'route add blackhole fd00:99:1::/64',
      'route add fd00:99:3::/64 nexthop via fd00:20::12 dev eth0 nexthop via fd00:20::1 dev eth0',
    ],
    // a router: IPv6 then answers each on-link prefix's subnet-router anycast address
    sysctl: ['net.ipv6.conf.all.forwarding=1'],
    node2Batch: ['addr add fd00:20::12/64 dev eth0 nodad'],
    destinations: [
      ...['10.99.1.1', '10.99.2.1', '10.99.3.1', '10.99.4.1', '10.99.5.1', '10.99.6.1', '10.99.6.200'],
      ...range('10.99.7.', 8),
      ...range('10.99.8.', 8),
      ...range('10.99.9.', 8),
      ...['10.77.1.5', '10.77.2.5', '10.99.10.1', '10.99.11.1', '10.99.12.1', '10.99.13.1', node2, '127.0.0.1'],
      ...['fd00:20::11', 'fd00:20::', 'fd00:20::12', 'fd00:99:1::1', 'fd00:99:2::1', 'fd00:99:3::1', 'fd00:99:3::2', 'fd00:99:3::3', 'fd00:99:3::4', '2001:4860:4860::8888'],
    ],
  };
}

/** What the engine may drop although route get sends it: link-down through the carrier-less next hop, the FAILED gateway. */
export const EDGE_STATE_DROPS: ReadonlyMap<string, string> = new Map([
  ...Array.from({ length: 8 }, (_, i) => [`10.99.9.${i + 1}`, 'link-down'] as [string, string]),
  ['10.99.13.1', 'neighbor-failed'],
]);

export interface EdgeReport {
  lab: string;
  pairs: number;
  agreed: number;
  disagreements: Disagreement[];
  /** the engine's drops that route get cannot see, each where expected */
  stateDrops: string[];
}

/** Bring a 2-node lab up, add the edge routes to node 1, compare, and always take it down. */
export async function proveEdgeRoutes(name: string, style: string, options: { verbose?: boolean; log?: (line: string) => void } = {}): Promise<EdgeReport> {
  const log = options.log ?? (() => undefined);
  await lab(['down', '--name', name]);
  try {
    log(`edge routes: lab up --name ${name} --style ${style} --nodes 2 --pods 1`);
    await lab(['up', '--name', name, '--style', style, '--nodes', '2', '--pods', '1']);
    const status = await labStatus(name);
    const [a, b] = status.nodes as [LabNodeStatus, LabNodeStatus];
    const e = edgeCommands(b.underlayIp);
    for (const [ns, lines] of [[a.namespace, e.batch], [b.namespace, e.node2Batch]] as const) {
      const r = await run('ip', ['-n', ns, '-batch', '-'], lines.join('\n') + '\n');
      if (r.code !== 0) throw new Error(`ip -n ${ns} -batch: ${r.stderr}`);
    }
    for (const x of e.sysctl) {
      const r = await run('ip', ['netns', 'exec', a.namespace, 'sysctl', '-qw', x], '');
      if (r.code !== 0) throw new Error(`sysctl ${x} in ${a.namespace}: ${r.stderr}`);
    }
    const state = await collectLab(status);
    const hosts = indexHosts(state);
    const owners = addressOwners(hosts);
    const host = hosts.find((h) => h.name === a.name) as Host;
    const fib = new Fib(host);
    const kernel = await routeGets(a.namespace, e.destinations);
    let agreed = 0;
    const disagreements: Disagreement[] = [];
    const stateDrops: string[] = [];
    for (const addr of e.destinations) {
      const ip = parseIp(addr) as Ip;
      const branches = forwardOn(fib, asHost(ip), owners);
      const k = kernel.get(addr) as KernelAnswer;
      const allowed = EDGE_STATE_DROPS.get(addr);
      const why = compareRouteGet(branches, k, ip.v, false, allowed ? [allowed] : []);
      if (options.verbose) log(`  ${why === null ? 'agree' : 'DISAGREE'} ${a.name} -> ${addr}\n    engine: ${engineText(branches)}\n    kernel: ${kernelText(k)}`);
      for (const x of branches) if (x.outcome === 'drop' && x.drop === allowed) stateDrops.push(`${addr} ${canonHop(x.gateway, x.dev)}: ${x.drop}`);
      if (why === null) agreed++;
      else disagreements.push({ node: a.name, dst: addr, what: 'edge route', why, engine: engineText(branches), kernel: kernelText(k) });
    }
    return { lab: name, pairs: e.destinations.length, agreed, disagreements, stateDrops };
  } finally {
    await lab(['down', '--name', name]);
    log(`edge routes: lab ${name} down`);
  }
}

export function formatEdgeReport(r: EdgeReport): string {
  const lines = [`edge routes (lab ${r.lab}, node 1): ${r.agreed} of ${r.pairs} destinations agree with ip route get; drops route get cannot see: ${r.stateDrops.length}`];
  for (const d of r.disagreements) lines.push(`  DISAGREE ${d.node} -> ${d.dst}: ${d.why}\n    engine: ${d.engine}\n    kernel: ${d.kernel}`);
  return lines.join('\n');
}

const n = (x: number) => x.toLocaleString('en-US');

/** One shape as printed: pairs and agreement, every disagreement with both sides, the pings. */
export function formatShape(r: ShapeReport): string {
  const lines = [
    `${r.shape} (lab ${r.lab}, ${r.nodes} nodes): ${n(r.agreed)} of ${n(r.pairs)} node/destination pairs agree with ip route get` +
      ` [up ${r.seconds.up.toFixed(1)} s, collect ${r.seconds.collect.toFixed(1)} s, compare ${r.seconds.compare.toFixed(1)} s]`,
  ];
  for (const d of r.disagreements) lines.push(`  DISAGREE ${d.node} -> ${d.dst} (${d.what}): ${d.why}\n    engine: ${d.engine}\n    kernel: ${d.kernel}`);
  for (const x of r.notComparable) lines.push(`  not compared as a whole: ${x}`);
  if (r.ping) {
    lines.push(`  ping: walk there and back agrees with ping on ${n(r.ping.agreed)} of ${n(r.ping.pairs)} pod-range destinations (${n(r.ping.answered)} answered) [${r.seconds.ping.toFixed(1)} s]`);
    for (const d of r.ping.disagreements) lines.push(`  PING DISAGREE ${d.node} -> ${d.dst} (${d.what}): ${d.why}\n    engine: ${d.engine}\n    kernel: ${d.kernel}`);
  }
  return lines.join('\n');
}

/** Every shape (formatShape), then the totals (formatTotals). */
export function formatReport(reports: readonly ShapeReport[]): string {
  return [...reports.map(formatShape), formatTotals(reports)].join('\n');
}

/** Pairs compared and agreed over the shapes, and walks agreeing with ping where pinged. */
export function formatTotals(reports: readonly ShapeReport[]): string {
  const pairs = reports.reduce((s, r) => s + r.pairs, 0);
  const agreed = reports.reduce((s, r) => s + r.agreed, 0);
  const lines = [`${n(agreed)} of ${n(pairs)} node/destination pairs agree over ${reports.length} shape${reports.length === 1 ? '' : 's'}`];
  const pinged = reports.filter((r) => r.ping !== null);
  if (pinged.length > 0) {
    const pp = pinged.reduce((s, r) => s + (r.ping?.pairs ?? 0), 0);
    const pa = pinged.reduce((s, r) => s + (r.ping?.agreed ?? 0), 0);
    lines.push(`${n(pa)} of ${n(pp)} walks agree with ping (${pinged.map((r) => r.shape).join(', ')})`);
  }
  return lines.join('\n');
}
