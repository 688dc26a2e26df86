// What the apps read, from the apps themselves: API_ENV (apps/api/src/settings.ts), COLLECTOR_ENV and
// COLLECTOR_FLAGS (apps/collector/src/args.ts), the collector's V8 flags and BIRD socket paths, and the
// API's routes (its controllers). Loaded by path at run time: Nx forbids importing an app from another
// project, and these tests check artifacts against the apps rather than depending on their code.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoPath } from './repo.js';

export interface AppContract {
  apiEnv: readonly string[];
  kubernetesModes: readonly string[];
  collectorEnv: readonly string[];
  collectorFlags: readonly string[];
  collectorNodeFlags: readonly string[];
  birdSockets: readonly string[];
  /** the API's loadConfig: throws on a setting it refuses */
  loadApiConfig(env: Record<string, string | undefined>): unknown;
  /** the collector's parseCollectorArgs: throws on arguments it refuses */
  parseCollectorArgs(argv: readonly string[], env: Record<string, string | undefined>): unknown;
}

async function load<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(repoPath(path)).href)) as T;
}

export async function appContract(): Promise<AppContract> {
  const config = await load<{
    API_ENV: readonly string[];
    KUBERNETES_MODES: readonly string[];
    loadConfig(env: Record<string, string | undefined>): unknown;
  }>('apps/api/src/settings.ts');
  const args = await load<{
    COLLECTOR_ENV: readonly string[];
    COLLECTOR_FLAGS: readonly string[];
    parseCollectorArgs(argv: readonly string[], env: Record<string, string | undefined>): unknown;
  }>('apps/collector/src/args.ts');
  const nodeFlags = await load<{ COLLECTOR_NODE_FLAGS: readonly string[] }>('apps/collector/src/node-flags.ts');
  const bird = await load<{ BIRD_SOCKETS: readonly string[] }>('apps/collector/src/readers/bird.reader.ts');
  return {
    apiEnv: config.API_ENV,
    kubernetesModes: config.KUBERNETES_MODES,
    collectorEnv: args.COLLECTOR_ENV,
    collectorFlags: args.COLLECTOR_FLAGS,
    collectorNodeFlags: nodeFlags.COLLECTOR_NODE_FLAGS,
    birdSockets: bird.BIRD_SOCKETS,
    loadApiConfig: (env) => config.loadConfig(env),
    parseCollectorArgs: (argv, env) => args.parseCollectorArgs(argv, env),
  };
}

function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), suffix) : e.name.endsWith(suffix) ? [join(dir, e.name)] : [],
  );
}

/**
 * The API's GET routes as the controllers declare them: `@Controller('health')` + `@Get('ready')` under
 * the global prefix `/api` (app.ts), e.g. `/api/health/ready`. Path parameters stay as `:name`.
 */
export function apiGetRoutes(): string[] {
  const app = readFileSync(repoPath('apps/api/src/app.ts'), 'utf8');
  const prefix = /setGlobalPrefix\(\s*'([^']*)'/.exec(app)?.[1];
  if (prefix === undefined) throw new Error('apps/api/src/app.ts: no setGlobalPrefix found');
  const excluded = [...app.matchAll(/path:\s*'([^']+)',\s*method:\s*RequestMethod\.GET/g)].map((m) => m[1]!);
  const routes: string[] = [];
  for (const file of files(repoPath('apps/api/src'), '.controller.ts')) {
    const text = readFileSync(file, 'utf8');
    const base = /@Controller\(\s*(?:'([^']*)')?\s*\)/.exec(text);
    if (!base) throw new Error(`${relative(repoPath(), file)}: no @Controller`);
    for (const m of text.matchAll(/@Get\(\s*(?:'([^']*)')?\s*\)/g)) {
      const path = [base[1] ?? '', m[1] ?? ''].filter(Boolean).join('/');
      routes.push(excluded.includes(path) ? `/${path}` : `/${[prefix, path].filter(Boolean).join('/')}`);
    }
  }
  return routes.sort();
}
