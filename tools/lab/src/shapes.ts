// The cluster shapes the judgments are proven on (DESIGN.md, "Decisions for the second round":
// "a rule proven only on the shape it was written for is not proven"). Each is a `lab up` command
// line; the fault matrix (npm run bench:faults) and the forwarding engine's oracle test run over
// all of them. Pure data: no I/O.

export interface Shape {
  name: string;
  /** one line: what is unusual about it */
  description: string;
  /** the arguments after `lab up --name <lab>` */
  up: string[];
  /** the BGP daemon a node runs ('none' without BGP), by node index (1-based), as `up` makes them */
  daemons: (index: number) => 'bird' | 'gobgp' | 'frr' | 'none';
  /** the node acting as route reflector (1-based), or null */
  routeReflector: number | null;
  nodes: number;
}

const uniform = (daemon: 'bird' | 'gobgp' | 'frr' | 'none') => () => daemon;
const cycle = (list: Array<'bird' | 'gobgp' | 'frr'>) => (i: number) => list[(i - 1) % list.length] ?? 'bird';

export const SHAPES: readonly Shape[] = [
  {
    name: 'kube-router',
    description: 'kube-router: GoBGP full mesh, routes programmed via node IPs, kube-bridge, ipsets',
    up: ['--style', 'kube-router', '--nodes', '3', '--pods', '1'],
    daemons: uniform('gobgp'),
    routeReflector: null,
    nodes: 3,
  },
  {
    name: 'calico',
    description: 'Calico: BIRD full mesh, blocks as blackholes, a /32 per pod veth',
    up: ['--style', 'calico', '--nodes', '3', '--pods', '1'],
    daemons: uniform('bird'),
    routeReflector: null,
    nodes: 3,
  },
  {
    name: 'flannel',
    description: 'flannel: vxlan with static routes, neighbors and fdb entries, no BGP',
    up: ['--style', 'flannel', '--nodes', '3', '--pods', '1'],
    daemons: uniform('none'),
    routeReflector: null,
    nodes: 3,
  },
  {
    name: 'calico-rr',
    description: 'Calico with node1 as BIRD route reflector: clients learn each other only through it',
    up: ['--style', 'calico', '--nodes', '4', '--pods', '1', '--route-reflector'],
    daemons: uniform('bird'),
    routeReflector: 1,
    nodes: 4,
  },
  {
    name: 'mixed',
    description: 'Calico-style nodes running BIRD, GoBGP and FRR in one mesh',
    up: ['--style', 'calico', '--nodes', '4', '--pods', '1', '--daemons', 'bird,gobgp,frr'],
    daemons: cycle(['bird', 'gobgp', 'frr']),
    routeReflector: null,
    nodes: 4,
  },
  {
    name: 'calico-sparse',
    description: "Calico, BIRD: node2's block has no blackhole (known only from what BIRD announces); node3 installs nothing and reaches the other pods through 10.48.0.0/16 via node1",
    up: ['--style', 'calico', '--nodes', '4', '--pods', '1', '--no-blackhole', '2', '--install-none', '3:1'],
    daemons: uniform('bird'),
    routeReflector: null,
    nodes: 4,
  },
  {
    name: 'calico-ecmp',
    description: "Calico, BIRD: node2 announces node3's block too, so node1 reaches it by ECMP, one path through node2",
    up: ['--style', 'calico', '--nodes', '3', '--pods', '1', '--also-announce', '2:3'],
    daemons: uniform('bird'),
    routeReflector: null,
    nodes: 3,
  },
  {
    name: 'calico-dual',
    description:
      'Calico dual stack, BIRD: IPv6 /122 blocks over IPv6 sessions (fd00:20::/64 underlay) beside the IPv4 ones; node3 has no IPv6 at all; node2\'s pods are IPv6 only (its IPv4 block announced, empty)',
    up: ['--style', 'calico', '--nodes', '4', '--pods', '1', '--ipv6', '--ipv6-except', '3', '--ipv6-only-pods', '2'],
    daemons: uniform('bird'),
    routeReflector: null,
    nodes: 4,
  },
];

export function shapeNamed(name: string): Shape {
  const s = SHAPES.find((x) => x.name === name);
  if (!s) throw new Error(`no shape '${name}' (shapes: ${SHAPES.map((x) => x.name).join(', ')})`);
  return s;
}
