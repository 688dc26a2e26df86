// Which captured output answers which command, per fixture case: the kernel tables stored by
// tools/fixtures/capture-kernel.ts (libs/parsers/src/kernel/fixtures/<case>/; the lab styles
// kube-router, calico and flannel are node 1 of labs fxkkr, fxkca, fxkfl), and for the lab styles
// the daemons' answers stored by tools/fixtures/capture-daemons.ts (libs/parsers/src/daemons/
// fixtures/, listed in captures.json) from node 1 of a lab of the same style and plan (same
// addresses and pod CIDRs, another run). Commands are written as the readers run them; birdc's
// socket is `<socket>`, as in captures.json.
//
// What no capture holds may be given by a stand-in, each with its reason, listed apart so that
// none passes for a capture. Anything else has no answer: the fixture runner fails on it.
import { existsSync, readFileSync } from 'node:fs';
import { BIRD_STATICS_COMMAND, CNI_GREP_ARGS, SYSCTL_GREP_ARGS, birdExportCommand, type BirdOriginOutputs } from '@netatlas/parsers';

const KERNEL_FIXTURES = new URL('../../../../libs/parsers/src/kernel/fixtures/', import.meta.url);
const DAEMON_FIXTURES = new URL('../../../../libs/parsers/src/daemons/fixtures/', import.meta.url);

const daemonFile = (file: string) => readFileSync(new URL(file, DAEMON_FIXTURES), 'utf8');

export interface Answer {
  /** where the text comes from, e.g. `kernel/calico/link.json` */
  from: string;
  text: string;
  /** set on a stand-in: why the capture does not hold it as such */
  standIn?: string;
}

export interface Capture {
  /** command line (tool and args joined by spaces) → answer */
  commands: Map<string, Answer>;
  /** path → answer, for Runner.readFile */
  files: Map<string, Answer>;
  /** when the daemons were captured (BIRD prints time-only stamps, resolved against it), else the epoch */
  capturedAt: Date;
  /** the time zone BIRD printed its times in */
  timeZone: string;
}

/** Where the cni reader is told the CNI records are, in the captured command lines (the capture's own paths are in its output). */
export const CAPTURED_CNI_DIR = '<cni dir>';

/** The kernel commands the readers run and the file capture-kernel.ts stores each one's output in (its COMMANDS). */
const KERNEL_COMMANDS: [string[], string][] = [
  [['ip', '-json', '-details', 'link', 'show'], 'link.json'],
  [['ip', '-json', 'addr', 'show'], 'addr.json'],
  [['ip', '-json', '-4', 'route', 'show', 'table', 'all'], 'route-inet.json'],
  [['ip', '-json', '-6', 'route', 'show', 'table', 'all'], 'route-inet6.json'],
  [['ip', '-json', 'neigh', 'show', 'nud', 'all'], 'neigh-nud-all.json'],
  [['ip', '-json', 'neigh', 'show', 'proxy'], 'neigh-proxy.json'],
  [['bridge', '-json', 'fdb', 'show'], 'fdb.json'],
  [['ip', '-details', '-json', '-4', 'rule', 'show'], 'rule-inet.json'],
  [['ip', '-details', '-json', '-6', 'rule', 'show'], 'rule-inet6.json'],
  [['grep', ...SYSCTL_GREP_ARGS], 'sysctl.txt'],
  // the lab node's CNI records; the readers are pointed at `<cni dir>` (FixtureRunner.readerOptions)
  [['grep', ...CNI_GREP_ARGS, `${CAPTURED_CNI_DIR}/networks`, `${CAPTURED_CNI_DIR}/results`], 'cni.txt'],
];

/** The daemon captures (captures.json cases) taken on node 1 of a lab of each style. */
const LAB_DAEMONS: Record<string, string[]> = {
  'kube-router': ['ipset-kube-router', 'gobgp-mesh-established', 'gobgp-origins-kube-router'],
  // one poll's protocol list and the export it asked, taken together (bird-mesh-established.txt is
  // the same node 38 ms earlier; only hold and keepalive timers differ)
  calico: ['bird-origins-mesh'],
  flannel: [],
};

export const LAB_STYLES = Object.keys(LAB_DAEMONS);

const GOBGP = 'gobgp -u 127.0.0.1 -p 50051';
/** /proc/net/tcp with one socket listening on 127.0.0.1:50051 (0xC383), as the kernel prints it. */
const TCP_GOBGP_LISTENS =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 0100007F:C383 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n';

/** Stand-ins for what the labs' captures lack, by style. */
const LAB_STAND_INS: Record<string, (c: Capture) => void> = {
  'kube-router': (c) => {
    c.commands.set(`${GOBGP} global rib -a ipv6 -j`, {
      from: 'daemons/gobgp-origins-empty.json',
      text: daemonFile('gobgp-origins-empty.json'),
      standIn: "only the IPv4 RIB was captured; the lab is IPv4-only (no IPv6 pod CIDR, route-inet6 has link-local routes only), so GoBGP's IPv6 RIB is empty: gobgp's captured answer for an empty RIB",
    });
    c.files.set('/proc/net/tcp', {
      from: 'hand-written',
      text: TCP_GOBGP_LISTENS,
      standIn: "not captured; gobgpd listening on 127.0.0.1:50051 is what the captured gobgp answers (asked there) show. Only that socket is listed",
    });
  },
};

interface ManifestEntry {
  case: string;
  parser: string;
  command: string;
  file: string;
  capturedAt: string;
  timeZone: string;
}

function manifest(): ManifestEntry[] {
  return (JSON.parse(daemonFile('captures.json')) as { captures: ManifestEntry[] }).captures;
}

/** Whether `caseName` has captured kernel output. */
export function hasKernelCapture(caseName: string): boolean {
  return existsSync(new URL(`${caseName}/`, KERNEL_FIXTURES));
}

function kernelAnswers(caseName: string, into: Map<string, Answer>): void {
  const file = (name: string) => new URL(`${caseName}/${name}`, KERNEL_FIXTURES);
  for (const [argv, name] of KERNEL_COMMANDS) {
    if (existsSync(file(name))) into.set(argv.join(' '), { from: `kernel/${caseName}/${name}`, text: readFileSync(file(name), 'utf8') });
  }
  const nudAll = 'ip -json neigh show nud all';
  if (!into.has(nudAll) && existsSync(file('neigh.json'))) {
    into.set(nudAll, {
      from: `kernel/${caseName}/neigh.json`,
      text: readFileSync(file('neigh.json'), 'utf8'),
      standIn: 'captured as plain `ip -json neigh show`, which leaves out the NOARP and NONE entries `nud all` adds; every other entry is the same',
    });
  }
}

/** One daemon capture's commands: a bird-origins capture holds every birdc answer of one poll. */
function daemonAnswers(entry: ManifestEntry, into: Map<string, Answer>): void {
  const text = daemonFile(entry.file);
  const from = `daemons/${entry.file}`;
  if (entry.parser !== 'bird-origins') {
    into.set(entry.command, { from, text });
    return;
  }
  const birdc = (args: string[]) => ['birdc', '-s', '<socket>', ...args].join(' ');
  const { outputs } = JSON.parse(text) as { outputs: BirdOriginOutputs };
  into.set(birdc(['show', 'protocols', 'all']), { from: `${from} (protocols)`, text: outputs.protocols });
  for (const [protocol, answer] of Object.entries(outputs.exports)) {
    into.set(birdc(birdExportCommand(protocol)), { from: `${from} (exports.${protocol})`, text: answer });
  }
  if (outputs.statics !== undefined) into.set(birdc(BIRD_STATICS_COMMAND), { from: `${from} (statics)`, text: outputs.statics });
}

/** Everything captured for `caseName`: a lab style gets its daemons' answers too. */
export function loadCapture(caseName: string): Capture {
  if (!hasKernelCapture(caseName)) throw new Error(`no captured kernel output for ${caseName} under ${KERNEL_FIXTURES.pathname}`);
  const capture: Capture = { commands: new Map(), files: new Map(), capturedAt: new Date(0), timeZone: 'UTC' };
  kernelAnswers(caseName, capture.commands);
  const entries = manifest();
  for (const name of LAB_DAEMONS[caseName] ?? []) {
    const entry = entries.find((e) => e.case === name);
    if (!entry) throw new Error(`daemon capture ${name} is not in captures.json`);
    daemonAnswers(entry, capture.commands);
    const at = new Date(entry.capturedAt);
    if (at > capture.capturedAt) capture.capturedAt = at;
    capture.timeZone = entry.timeZone;
  }
  LAB_STAND_INS[caseName]?.(capture);
  return capture;
}
