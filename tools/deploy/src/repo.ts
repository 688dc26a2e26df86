// Where things are, and the few facts about this machine the deploy tests share.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const inCI = !!process.env['CI'] && process.env['CI'] !== 'false';

export function repoPath(...parts: string[]): string {
  return join(ROOT, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** package.json's version: the tag the images are built and referenced with. */
export function packageVersion(): string {
  return (JSON.parse(readRepoFile('package.json')) as { version: string }).version;
}

/** Whether `tool` runs here (`tool --version`-style probe with the given args). */
export function hasTool(tool: string, args: string[] = ['--version']): boolean {
  const run = spawnSync(tool, args, { stdio: 'ignore' });
  return !run.error && run.status === 0;
}

/** Names of the form $(NAME) in a container's args or command: Kubernetes expands them from the container's env. */
export function argReferences(args: readonly string[]): string[] {
  return args.flatMap((arg) => [...arg.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]!));
}

/** The `--flag` names (without dashes) in an argument list. */
export function flagsOf(args: readonly string[]): string[] {
  return args.filter((a) => /^--[a-z]/.test(a)).map((a) => a.slice(2).split('=')[0]!);
}
