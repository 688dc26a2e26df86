// The lab, driven through its CLI, for collector tests (root and the lab's packages needed).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const LAB_CLI = fileURLToPath(new URL('../../../../tools/lab/src/cli.ts', import.meta.url));

export async function lab(args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', LAB_CLI, ...args], { timeout: 300_000 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`lab ${args.join(' ')}: ${e.message} ${e.stderr ?? ''}`, { cause: err });
  }
}

export interface LabNodeStatus {
  name: string;
  namespace: string;
  underlayIp: string;
  podCidr: string;
  bgpControl: { daemon: string; socket?: string; api?: string } | null;
  pods: { name: string; namespace: string; ip: string }[];
}

export async function labNodes(name: string): Promise<LabNodeStatus[]> {
  return (JSON.parse(await lab(['status', '--json', '--name', name])) as { nodes: LabNodeStatus[] }).nodes;
}

export function labMissing(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const [tool, pkg] of [['ip', 'iproute2'], ['ipset', 'ipset'], ['bird', 'bird2'], ['gobgpd', 'gobgpd'], ['ping', 'iputils-ping']]) {
    if (!['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(`${d}/${tool}`))) missing.push(`${tool} (${pkg})`);
  }
  return missing;
}

export const inCI = !!process.env['CI'] && process.env['CI'] !== 'false';

export async function sh(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await exec(cmd, args, { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  return stdout;
}
