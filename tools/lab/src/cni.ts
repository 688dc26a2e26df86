// The lab as a container runtime would call CNI: the real plugins (Debian's
// containernetworking-plugins), invoked by the CNI protocol (CNI_* variables, the network's
// configuration on stdin, the result on stdout), and each ADD's result cached where and how libcni
// (containerd, CRI-O) caches it: `<cni dir>/results/<network>-<container>-<ifname>`, kind
// cniCacheV1. A node's collector reads these records (its `cni` reader), as it would on a real node.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import type { RequiredTool } from './styles/driver.js';

/** Where Debian's containernetworking-plugins puts the plugins. */
export const CNI_PLUGIN_DIR = '/usr/lib/cni';

/** The IPAM plugin the bridge styles allocate their pods' addresses with. */
export const HOST_LOCAL_TOOL: RequiredTool = { command: 'host-local', debianPackage: 'containernetworking-plugins', dir: CNI_PLUGIN_DIR };

export interface CniInterface {
  name: string;
  mac?: string;
  /** the container's namespace: set on the container's own interfaces */
  sandbox?: string;
}

export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: unknown;
}

export interface CniCall {
  /** the network's configuration (one plugin; `name` is the network) */
  conf: { cniVersion: string; name: string; type: string; [key: string]: unknown };
  /** the plugin to run, when not the configuration's `type` (its IPAM plugin alone, as the main plugin would call it) */
  plugin?: string;
  containerId: string;
  /** the container's namespace, a path (`/run/netns/<name>`) */
  netns: string;
  ifname: string;
  /** CNI_ARGS pairs, e.g. [['IP', '10.0.0.5']] (host-local's requested address) */
  args?: Array<[string, string]>;
  /** run the plugin inside this namespace (the node's: where the host side of the pod lives) */
  inNamespace?: string;
}

/** A pod's records go with its node's folder (the lab removes no single pod): ADD is the one command it needs. */
function env(call: CniCall, command: 'ADD'): string[] {
  const vars = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: call.containerId,
    CNI_NETNS: call.netns,
    CNI_IFNAME: call.ifname,
    CNI_PATH: CNI_PLUGIN_DIR,
    ...(call.args?.length ? { CNI_ARGS: call.args.map(([k, v]) => `${k}=${v}`).join(';') } : {}),
  };
  return Object.entries(vars).map(([k, v]) => `${k}=${v}`);
}

async function invoke(call: CniCall, command: 'ADD'): Promise<string> {
  const plugin = join(CNI_PLUGIN_DIR, call.plugin ?? call.conf.type);
  const argv = ['env', '-i', ...env(call, command), plugin];
  const [cmd, args] = call.inNamespace ? ['ip', ['netns', 'exec', call.inNamespace, ...argv]] : [argv[0] as string, argv.slice(1)];
  const r = await run(cmd, args, { input: JSON.stringify(call.conf), allowFail: true });
  // a plugin reports its errors as a JSON document on stdout ({code, msg, details}) and exits non-zero
  if (r.code !== 0) throw new Error(`CNI ${command} ${call.plugin ?? call.conf.type} for ${call.containerId} failed (exit ${r.code}): ${r.stdout.trim() || r.stderr.trim()}`);
  return r.stdout;
}

/** The plugin's ADD; returns its result (not yet cached: `cacheResult`, as libcni does after the whole list). */
export async function cniAdd(call: CniCall): Promise<CniResult> {
  return JSON.parse(await invoke(call, 'ADD')) as CniResult;
}

function cacheFile(cniDir: string, network: string, containerId: string, ifname: string): string {
  return join(cniDir, 'results', `${network}-${containerId}-${ifname}`);
}

/** Caches an ADD's result as libcni's cacheAdd writes it (one line of JSON, the configuration in base64). */
export function cacheResult(cniDir: string, call: CniCall, result: CniResult): string {
  const file = cacheFile(cniDir, call.conf.name, call.containerId, call.ifname);
  const cached = {
    kind: 'cniCacheV1',
    containerId: call.containerId,
    config: Buffer.from(JSON.stringify(call.conf)).toString('base64'),
    ifName: call.ifname,
    networkName: call.conf.name,
    netns: call.netns,
    ...(call.args?.length ? { cniArgs: call.args } : {}),
    result,
  };
  mkdirSync(join(cniDir, 'results'), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(cached), { mode: 0o600 });
  return file;
}
