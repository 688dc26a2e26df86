// npm run lab -- <command> [options]
import {
  addNode,
  delRoute,
  down,
  failNode,
  cutSession,
  removeNode,
  setLink,
  setMtu,
  startBgp,
  status,
  stopBgp,
  up,
  type LabStatus,
} from './lab.js';
import type { LabIpv6, LabVariants } from './state.js';
import { DAEMONS, isStyle, LAB_TIMERS, parseDaemons, STYLES, type Timers } from './plan.js';

const USAGE = `netatlas lab: Kubernetes-style node networks built from network namespaces (needs root)

usage: npm run lab -- <command> [--name LAB] [options]

commands:
  up --style ${STYLES.join('|')} --nodes N --pods K [--timers lab|default] [--route-reflector]
     [--daemons ${DAEMONS.join(',')}]
                          build an N-node cluster with K pods per node and wait until it converges;
                          calico --daemons: node i runs the i-th daemon of the list (cycled), all
                          in one iBGP mesh (the route reflector, node 1, must run BIRD)
     [--no-blackhole I,..] [--install-none I:VIA,..] [--also-announce I:OF,..]
                          calico, BIRD nodes that differ from Calico's defaults: announce their block
                          without its blackhole; install nothing they learn (they reach other pods
                          through 10.48.0.0/16 via node VIA); also announce node OF's block (the
                          others reach OF by ECMP, one path through I)
     [--ipv6 [--ipv6-except I,..] [--ipv6-only-pods I,..]]
                          calico, BIRD: dual stack — an IPv6 underlay (fd00:20::/64), a /122 IPv6
                          block per node (fd00:48:0:N::/122) announced over IPv6 sessions, pods
                          with an IPv4 and an IPv6 address; but nodes I of --ipv6-except have no
                          IPv6 at all, and the pods of nodes I of --ipv6-only-pods only IPv6
  add-node                add a node; every other node learns its routes
  remove-node NODE        graceful: the node withdraws its routes, its ipset members go
  fail-node NODE          abrupt: underlay link down, daemon killed; peers notice on the hold timer
  stop-bgp NODE [--kill]  stop the node's BGP daemon (gracefully unless --kill)
  start-bgp NODE          start it again
  link-down NODE          the node's underlay port goes down (its eth0 loses carrier); link-up NODE
  cut-session NODE PEER   a firewall rule on NODE drops BGP to and from PEER; restore-session NODE PEER
  del-route NODE PREFIX   delete a route from the node's main table
  set-mtu NODE IFACE MTU  change an interface's MTU on the node
  status [--json]         nodes, namespaces, addresses, pod CIDRs, pods, BGP sessions, memory
  down                    remove everything the lab made (idempotent)

NODE is a node name (lab-node2), its short name (node2) or its index (2).
--name LAB defaults to 'lab' (or $NETATLAS_LAB). Lab BGP timers: keepalive ${LAB_TIMERS.keepalive} s, hold ${LAB_TIMERS.hold} s;
--timers default keeps the daemons' own.`;

interface Args {
  command: string;
  positional: string[];
  flags: Map<string, string | true>;
}

const BOOLEAN_FLAGS = new Set(['json', 'kill', 'route-reflector', 'help', 'ipv6']);

export function parseArgs(argv: string[]): Args {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (v !== undefined) flags.set(k, v);
      else if (BOOLEAN_FLAGS.has(k)) flags.set(k, true);
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new Error(`--${k} needs a value`);
        flags.set(k, next);
        i++;
      }
    } else if (a === '-h') flags.set('help', true);
    else positional.push(a);
  }
  const [command = '', ...rest] = positional;
  return { command, positional: rest, flags };
}

function str(args: Args, flag: string, fallback?: string): string {
  const v = args.flags.get(flag);
  if (typeof v === 'string') return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`--${flag} is required`);
}

function int(args: Args, flag: string, fallback?: number): number {
  const s = str(args, flag, fallback === undefined ? undefined : String(fallback));
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`--${flag} must be an integer, got '${s}'`);
  return n;
}

/** `2,3` → [2, 3] */
function indexes(text: string, flag: string): number[] {
  return text.split(',').map((x) => {
    const n = Number(x.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: '${x}' is not a node index`);
    return n;
  });
}

/** `3:1,4:1` → [[3, 1], [4, 1]] */
function pairs(text: string, flag: string): Array<[number, number]> {
  return text.split(',').map((x) => {
    const [a, b, extra] = x.split(':');
    if (a === undefined || b === undefined || extra !== undefined) throw new Error(`--${flag}: '${x}' is not NODE:NODE`);
    const [n, m] = indexes(`${a},${b}`, flag) as [number, number];
    return [n, m];
  });
}

function parseVariants(args: Args): LabVariants | null {
  const v: LabVariants = {};
  const nb = args.flags.get('no-blackhole');
  const inone = args.flags.get('install-none');
  const also = args.flags.get('also-announce');
  if (typeof nb === 'string') v.noBlackhole = indexes(nb, 'no-blackhole');
  if (typeof inone === 'string') v.installNone = pairs(inone, 'install-none').map(([node, via]) => ({ node, via }));
  if (typeof also === 'string') v.alsoAnnounce = pairs(also, 'also-announce').map(([node, of]) => ({ node, of }));
  return Object.keys(v).length > 0 ? v : null;
}

export function parseIpv6(args: Args): LabIpv6 | null {
  const except = args.flags.get('ipv6-except');
  const onlyPods = args.flags.get('ipv6-only-pods');
  if (!args.flags.has('ipv6')) {
    if (except !== undefined || onlyPods !== undefined) throw new Error('--ipv6-except and --ipv6-only-pods need --ipv6');
    return null;
  }
  if (args.flags.get('ipv6') !== true) throw new Error('--ipv6 takes no value (the nodes without IPv6: --ipv6-except I,..)');
  return {
    except: typeof except === 'string' ? indexes(except, 'ipv6-except') : [],
    onlyPods: typeof onlyPods === 'string' ? indexes(onlyPods, 'ipv6-only-pods') : [],
  };
}

function positional(args: Args, i: number, what: string): string {
  const v = args.positional[i];
  if (v === undefined) throw new Error(`${args.command} needs ${what}`);
  return v;
}

const log = (msg: string) => process.stderr.write(`[lab] ${msg}\n`);

function printStatus(s: LabStatus): void {
  const lines = [
    `lab ${s.name}: ${s.style}, ${s.nodes.length} nodes, timers ${s.timers}` +
      (s.routeReflector ? `, route reflector ${s.routeReflector}` : '') +
      (s.daemons ? `, daemons ${s.daemons.join(',')}` : ''),
    `underlay: ${s.underlay.subnet}${s.underlay.subnet6 ? ` and ${s.underlay.subnet6}` : ''} on ${s.underlay.bridge} in ${s.underlay.namespace}`,
  ];
  for (const n of s.nodes) {
    const est = n.bgpSessions.filter((x) => x.state === 'established').length;
    const bgp =
      n.bgp === null
        ? ''
        : `  ${s.daemons ? (n.daemon ?? 'bgp') : 'bgp'} ${n.bgp} (${n.bgpControl?.socket ?? n.bgpControl?.api ?? n.bgpControl?.vtySocket ?? ''}) ${est}/${n.bgpSessions.length} established`;
    lines.push(`  ${n.name.padEnd(14)} ${n.state.padEnd(6)} ns ${n.namespace}  ${n.underlayIp.padEnd(13)} pods ${n.podCidr}${bgp}`);
    if (n.underlayIp6) lines.push(`  ${''.padEnd(14)} ${''.padEnd(6)}    ${''.padEnd(n.namespace.length)}  ${n.underlayIp6.padEnd(13)} pods ${n.podCidr6 ?? '-'}`);
    for (const p of n.pods) lines.push(`      ${p.name.padEnd(22)} ${(p.ip ?? '-').padEnd(13)}${p.ip6 ? ` ${p.ip6.padEnd(17)}` : ''} via ${p.hostVeth}`);
  }
  lines.push(`memory: ${s.memory.processes} processes, ${s.memory.processRssMb} MB RSS`);
  process.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.flags.has('help') || args.command === '' || args.command === 'help') {
    process.stdout.write(USAGE + '\n');
    return args.command === '' && !args.flags.has('help') ? 2 : 0;
  }
  const lab = str(args, 'name', process.env['NETATLAS_LAB'] ?? 'lab');
  switch (args.command) {
    case 'up': {
      const style = str(args, 'style');
      if (!isStyle(style)) throw new Error(`--style must be one of ${STYLES.join(', ')}`);
      const timers = str(args, 'timers', 'lab');
      if (timers !== 'lab' && timers !== 'default') throw new Error('--timers must be lab or default');
      const daemons = args.flags.get('daemons');
      const variants = parseVariants(args);
      const ipv6 = parseIpv6(args);
      const r = await up(
        {
          name: lab,
          style,
          nodes: int(args, 'nodes', 3),
          pods: int(args, 'pods', 2),
          timers: timers as Timers,
          routeReflector: args.flags.has('route-reflector'),
          ...(typeof daemons === 'string' ? { daemons: parseDaemons(daemons) } : {}),
          ...(variants ? { variants } : {}),
          ...(ipv6 ? { ipv6 } : {}),
        },
        log,
      );
      process.stdout.write(
        `lab ${lab} up: ${r.state.nodes.length} ${style} nodes, ${r.state.nodes.length * r.state.podsPerNode} pods in ${r.seconds.toFixed(1)} s ` +
          `(converged ${r.convergeSeconds.toFixed(1)} s after the last node was built)\n` +
          `memory: ${r.memory.processes} lab processes using ${r.memory.processRssMb} MB RSS; ` +
          (r.memAvailableDeltaMb >= 0
            ? `system MemAvailable dropped by ${r.memAvailableDeltaMb} MB\n`
            : `system MemAvailable rose meanwhile (other activity), so the kernel's share is not measured\n`),
      );
      return 0;
    }
    case 'add-node': {
      const r = await addNode(lab, log);
      process.stdout.write(`added ${r.node.name} (${r.node.underlayIp}, pods ${r.node.podCidr}) in ${r.seconds.toFixed(1)} s\n`);
      return 0;
    }
    case 'remove-node': {
      const node = positional(args, 0, 'a NODE');
      const r = await removeNode(lab, node, log);
      process.stdout.write(`removed ${node}; the cluster converged in ${r.seconds.toFixed(1)} s\n`);
      return 0;
    }
    case 'fail-node': {
      const n = await failNode(lab, positional(args, 0, 'a NODE'));
      process.stdout.write(`${n.name} failed (underlay link down, daemon killed)\n`);
      return 0;
    }
    case 'stop-bgp': {
      const n = await stopBgp(lab, positional(args, 0, 'a NODE'), args.flags.has('kill'), log);
      process.stdout.write(`BGP stopped on ${n.name}\n`);
      return 0;
    }
    case 'start-bgp': {
      const n = await startBgp(lab, positional(args, 0, 'a NODE'), log);
      process.stdout.write(`BGP started on ${n.name}\n`);
      return 0;
    }
    case 'del-route': {
      await delRoute(lab, positional(args, 0, 'a NODE'), positional(args, 1, 'a PREFIX'));
      return 0;
    }
    case 'link-down':
    case 'link-up': {
      const n = await setLink(lab, positional(args, 0, 'a NODE'), args.command === 'link-up');
      process.stdout.write(`${n.name}: underlay link ${args.command === 'link-up' ? 'up' : 'down'} (port ${n.underlayPort})\n`);
      return 0;
    }
    case 'cut-session':
    case 'restore-session': {
      const [n, p] = await cutSession(lab, positional(args, 0, 'a NODE'), positional(args, 1, 'a PEER'), args.command === 'cut-session');
      process.stdout.write(`BGP between ${n.name} and ${p.name} ${args.command === 'cut-session' ? 'cut by a firewall rule' : 'restored'}\n`);
      return 0;
    }
    case 'set-mtu': {
      const mtu = Number(positional(args, 2, 'an MTU'));
      await setMtu(lab, positional(args, 0, 'a NODE'), positional(args, 1, 'an IFACE'), mtu);
      return 0;
    }
    case 'status': {
      const s = await status(lab);
      if (args.flags.has('json')) process.stdout.write(JSON.stringify(s, null, 2) + '\n');
      else printStatus(s);
      return 0;
    }
    case 'down': {
      const r = await down(lab);
      process.stdout.write(
        r.namespaces === 0
          ? `lab ${lab} is not up: nothing to remove\n`
          : `lab ${lab} down: ${r.namespaces} namespaces and ${r.processes} processes removed in ${r.seconds.toFixed(1)} s\n`,
      );
      return 0;
    }
    default:
      throw new Error(`unknown command '${args.command}' (see npm run lab -- --help)`);
  }
}

const invokedDirectly = process.argv[1] !== undefined && /cli\.[tj]s$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`netatlas lab: ${err.message}\n`);
      process.exit(1);
    },
  );
}
