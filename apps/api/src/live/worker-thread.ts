// Starts one of the API's worker threads. The bundle (dist/apps/api) carries `<name>.js` beside
// main.js; from source (tsx, vitest) the worker is TypeScript, and a small bootstrap registers tsx in
// the worker first (a worker does not inherit the parent's --import).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `base` is the import.meta.url of the module beside which `<name>.ts` lives. */
export function startWorkerThread(base: string, name: string): Worker {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  const ts = new URL(`./${name}.ts`, base).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true });
}
