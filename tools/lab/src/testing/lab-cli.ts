// Drive the lab the way a user does: through its CLI, in a child process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FRR_DAEMON_DIR } from '../frr.js';
import type { LabStatus } from '../lab.js';
import { commandAvailable } from './ground-truth.js';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

export async function lab(args: string[], timeout = 300_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(process.execPath, ['--import', 'tsx', CLI, ...args], { timeout, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`lab ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: err });
  }
}

export async function labStatus(name: string): Promise<LabStatus> {
  return JSON.parse((await lab(['status', '--json', '--name', name])).stdout) as LabStatus;
}

/** What a lab test needs from the machine; empty when it can run. */
export function labPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  const tools: [string, string, string?][] = [
    ['ip', 'iproute2'],
    ['bridge', 'iproute2'],
    ['ipset', 'ipset'],
    ['bird', 'bird2'],
    ['birdc', 'bird2'],
    ['gobgpd', 'gobgpd'],
    ['gobgp', 'gobgpd'],
    ['vtysh', 'frr'],
    ['zebra', 'frr', FRR_DAEMON_DIR],
    ['staticd', 'frr', FRR_DAEMON_DIR],
    ['bgpd', 'frr', FRR_DAEMON_DIR],
    ['ping', 'iputils-ping'],
    // cut-session: a firewall rule drops BGP between two nodes
    ['iptables', 'iptables'],
  ];
  for (const [cmd, pkg, dir] of tools) if (!commandAvailable(cmd, dir)) missing.push(`${cmd} (Debian package ${pkg})`);
  return missing;
}

/** In CI a missing prerequisite is a failure, never a silent skip. */
export const inCI = !!process.env['CI'] && process.env['CI'] !== 'false';
