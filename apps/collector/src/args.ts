import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const USAGE = `Usage: npm run collector -- (--once | --watch | --api <url>) [options]

Reads a node's network state (links, addresses, routes, policy rules, neighbors,
forwarding sysctls, bridge fdb, ipsets, BGP sessions from BIRD/GoBGP/FRR, IPVS
services) as facts.

Modes:
  --once                 print one JSON snapshot {node, takenAt, facts, readers}
  --watch                print the snapshot, then every delta as one JSON line
  --api <url>            stream the snapshot and deltas to the netatlas API at <url>
                         (its base URL, e.g. http://netatlas-api:3000) instead of
                         printing them; keeps reconnecting. Implies --watch.
  --token <token>        the API token (default: the NETATLAS_TOKEN environment
                         variable, which keeps it out of the process list)
  --token-file <path>    read the token from this file at every connection (default:
                         NETATLAS_TOKEN_FILE): a projected Kubernetes service-account
                         token, which the kubelet rotates

Options:
  --netns <name>         read network namespace <name> (ip -n / ip netns exec), e.g. a lab node;
                         when the namespace is deleted the node has left: the collector
                         tells the API (or prints a "leave" line) and exits
  --node-name <name>     node name to report (default: the netns name, else the host name)
  --readers <a,b,...>    only these readers (links, addrs, routes, rules, neighbors,
                         sysctls, fdb, ipsets, bird, gobgp, frr, ipvs, cni; default: all)
  --bird-socket <path>   BIRD control socket (default: NETATLAS_BIRD_SOCKET, else
                         /var/run/calico/bird.ctl, then /run/bird/bird.ctl)
  --gobgp-api <h:p>      GoBGP API inside the node's namespace (default: NETATLAS_GOBGP_API,
                         else 127.0.0.1:50051)
  --frr-vty-socket <dir> FRR's vty socket directory, passed to vtysh --vty_socket
                         (default: NETATLAS_FRR_VTY_SOCKET, else FRR's /var/run/frr)
                         A daemon given by flag or variable must answer: if it does not,
                         its reader is 'failed' (not 'missing'), as is a daemon that
                         answered earlier and stopped; either way its facts go.
  --cni-dir <dir>        where the CNI records are: host-local IPAM's networks/ and the
                         container runtime's results/ (default: NETATLAS_CNI_DIR, else
                         /var/lib/cni); they give each pod's address before it sends a packet
  --timeout <ms>         time-out of each tool run (default 5000)
  --debounce <ms>        wait after a kernel event before re-reading (default 100)
  --poll-kernel <s>      safety-net poll of the kernel tables, rules and sysctls (default 30)
  --poll-bgp <s>         BGP poll: sessions and origins (default 1: a stopped daemon
                         shows within a second)
  --poll-ipset <s>       ipset poll (default 5)
  --poll-ipvs <s>        IPVS poll (default 10)
  --poll-cni <s>         CNI records poll (default 5; a new pod's veth also triggers a read)
  -h, --help             show this help and exit
`;

export interface CollectorOptions {
  help: boolean;
  mode: 'once' | 'watch' | null;
  /** stream to this API (its base URL, without a trailing slash); implies mode 'watch' */
  api: string | undefined;
  /** the API token (--token, else NETATLAS_TOKEN), or how to read it (--token-file); set whenever `api` is */
  token: string | (() => string) | undefined;
  netns: string | undefined;
  nodeName: string | undefined;
  readers: string[] | undefined;
  /** set only when given (flag or environment): a given daemon must answer */
  birdSocket: string | undefined;
  gobgpApi: string | undefined;
  frrVtySocket: string | undefined;
  /** where the CNI records are; undefined: the reader's default */
  cniDir: string | undefined;
  timeoutMs: number;
  debounceMs: number;
  pollSeconds: { kernel: number; bgp: number; ipset: number; ipvs: number; cni: number };
}

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${value}'`);
  return n;
}

/** `http(s)://host[:port]`, without a path: the client adds the /ingest namespace itself. */
function apiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--api '${value}' is not a URL (expected e.g. http://netatlas-api:3000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--api '${value}' must be an http:// or https:// URL`);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new Error(`--api '${value}' must be the API's base URL (scheme://host:port), without a path, query or credentials`);
  }
  return url.origin;
}

/** The collector's command-line options (parseArgs), one per flag in USAGE. */
const COLLECTOR_OPTIONS = {
  once: { type: 'boolean' },
  watch: { type: 'boolean' },
  api: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  netns: { type: 'string' },
  'node-name': { type: 'string' },
  readers: { type: 'string' },
  'bird-socket': { type: 'string' },
  'gobgp-api': { type: 'string' },
  'frr-vty-socket': { type: 'string' },
  'cni-dir': { type: 'string' },
  timeout: { type: 'string' },
  debounce: { type: 'string' },
  'poll-kernel': { type: 'string' },
  'poll-bgp': { type: 'string' },
  'poll-ipset': { type: 'string' },
  'poll-ipvs': { type: 'string' },
  'poll-cni': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Every flag the collector accepts, without the leading `--` (the deploy tests check manifests against it). */
export const COLLECTOR_FLAGS = Object.keys(COLLECTOR_OPTIONS) as ReadonlyArray<keyof typeof COLLECTOR_OPTIONS>;

/**
 * Every environment variable the collector reads: the token and where the BGP daemons are
 * (parseCollectorArgs), the version it reports (main.ts: NETATLAS_VERSION, else npm's
 * npm_package_version) and PATH, where the runner looks for its tools. docker-compose.yml and the
 * Kubernetes manifests may set only these (tools/deploy checks it).
 */
export const COLLECTOR_ENV = [
  'NETATLAS_TOKEN',
  'NETATLAS_TOKEN_FILE',
  'NETATLAS_BIRD_SOCKET',
  'NETATLAS_GOBGP_API',
  'NETATLAS_FRR_VTY_SOCKET',
  'NETATLAS_CNI_DIR',
  'NETATLAS_VERSION',
  'npm_package_version',
  'PATH',
] as const;

/**
 * Parses the collector's command line (without the node and script paths). Throws on bad input.
 * `env` supplies NETATLAS_TOKEN and the daemons' defaults (NETATLAS_BIRD_SOCKET, NETATLAS_GOBGP_API,
 * NETATLAS_FRR_VTY_SOCKET; an empty variable is unset).
 */
export function parseCollectorArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CollectorOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: COLLECTOR_OPTIONS,
  });
  if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals[0]}`);
  if (values.once && values.watch) throw new Error('choose one of --once and --watch');
  for (const name of ['netns', 'node-name', 'readers', 'bird-socket', 'gobgp-api', 'frr-vty-socket', 'cni-dir', 'api', 'token', 'token-file'] as const) {
    if (values[name] === '') throw new Error(`--${name} must not be empty`);
  }
  if (values.netns !== undefined && !/^[A-Za-z0-9_.-]+$/.test(values.netns)) {
    throw new Error(`--netns '${values.netns}' is not a namespace name`);
  }
  let api: string | undefined;
  let token: string | (() => string) | undefined;
  if (values.api !== undefined) {
    if (values.once) throw new Error('--api streams continuously: it cannot be combined with --once');
    api = apiUrl(values.api);
    const file = values['token-file'] ?? (values.token === undefined ? env['NETATLAS_TOKEN_FILE'] || undefined : undefined);
    if (file !== undefined && values.token !== undefined) throw new Error('choose one of --token and --token-file');
    if (file !== undefined) {
      tokenFrom(file); // readable and not empty now, or a clear error at start
      token = () => tokenFrom(file);
    } else {
      token = values.token ?? (env['NETATLAS_TOKEN'] || undefined);
    }
    if (token === undefined) throw new Error('--api needs a token: set NETATLAS_TOKEN or NETATLAS_TOKEN_FILE (or pass --token / --token-file)');
  } else if (values.token !== undefined || values['token-file'] !== undefined) {
    throw new Error(`--${values.token !== undefined ? 'token' : 'token-file'} only applies with --api`);
  }
  return {
    help: values.help ?? false,
    mode: values.once ? 'once' : values.watch || api !== undefined ? 'watch' : null,
    api,
    token,
    netns: values.netns,
    nodeName: values['node-name'],
    readers: values.readers?.split(',').map((s) => s.trim()).filter(Boolean),
    birdSocket: values['bird-socket'] ?? (env['NETATLAS_BIRD_SOCKET'] || undefined),
    gobgpApi: values['gobgp-api'] ?? (env['NETATLAS_GOBGP_API'] || undefined),
    frrVtySocket: values['frr-vty-socket'] ?? (env['NETATLAS_FRR_VTY_SOCKET'] || undefined),
    cniDir: values['cni-dir'] ?? (env['NETATLAS_CNI_DIR'] || undefined),
    timeoutMs: positiveNumber('timeout', values.timeout, 5000),
    debounceMs: positiveNumber('debounce', values.debounce, 100),
    pollSeconds: {
      kernel: positiveNumber('poll-kernel', values['poll-kernel'], 30),
      bgp: positiveNumber('poll-bgp', values['poll-bgp'], 1),
      ipset: positiveNumber('poll-ipset', values['poll-ipset'], 5),
      ipvs: positiveNumber('poll-ipvs', values['poll-ipvs'], 10),
      cni: positiveNumber('poll-cni', values['poll-cni'], 5),
    },
  };
}

/** The token in `file` (a projected service-account token is re-read at every connection: it rotates). */
function tokenFrom(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(`--token-file ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (!text) throw new Error(`--token-file ${file} is empty`);
  return text;
}
