#!/usr/bin/env node
// Copies into OUT just the packages an esbuild bundle (built with --packages=external) imports, and
// everything they need, from ./node_modules: `node deploy/docker/bundle-deps.mjs BUNDLE OUT`.
// The collector image uses it so that it carries socket.io-client and its dependencies, not the
// API's. Run after `npm prune --omit=dev`: a package the bundle needs that is only a dev dependency
// is then missing, and this stops with its name instead of producing an image that cannot start.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const builtins = new Set(builtinModules.flatMap((m) => [m, m.replace(/^node:/, '')]));

/** The bare package names a bundle imports: static and side-effect imports, import() and require() of string literals. */
export function bundleImports(code) {
  const specifiers = new Set();
  const patterns = [
    /^\s*import\s+(?:[\w*${}\s,]+\s+from\s+)?["']([^"']+)["']/gm,
    /^\s*export\s+[\w*${}\s,]+\s+from\s+["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) specifiers.add(m[1]);
  const names = new Set();
  for (const s of specifiers) {
    if (s.startsWith('.') || s.startsWith('/') || s.startsWith('node:') || builtins.has(s.split('/')[0])) continue;
    const parts = s.split('/');
    names.add(s.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return [...names].sort();
}

/** Node's lookup of package `name` from folder `from`: <from>/node_modules/<name>, then each parent's, up to `root`. */
function locate(name, from, root) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return null;
  }
}

/** Every installed package folder that `names` need, resolved from `root` as Node would. */
export function dependencyClosure(names, root) {
  const found = new Map(); // folder -> package name
  const queue = names.map((name) => ({ name, from: root, via: '(the bundle)', optional: false }));
  while (queue.length > 0) {
    const { name, from, via, optional } = queue.shift();
    const folder = locate(name, from, root);
    if (!folder) {
      if (optional) continue;
      throw new Error(`${name} (needed by ${via}) is not installed in ${join(root, 'node_modules')}: is it a production dependency?`);
    }
    if (found.has(folder)) continue;
    found.set(folder, name);
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    const peersMeta = manifest.peerDependenciesMeta ?? {};
    for (const dep of Object.keys(manifest.dependencies ?? {})) queue.push({ name: dep, from: folder, via: name, optional: false });
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) queue.push({ name: dep, from: folder, via: name, optional: true });
    for (const dep of Object.keys(manifest.peerDependencies ?? {})) {
      queue.push({ name: dep, from: folder, via: name, optional: peersMeta[dep]?.optional === true });
    }
  }
  return found;
}

function main(argv) {
  if (argv.length !== 2) {
    process.stderr.write('usage: node deploy/docker/bundle-deps.mjs BUNDLE OUT_NODE_MODULES\n');
    return 2;
  }
  const [bundle, out] = argv.map((p) => resolve(p));
  const root = process.cwd();
  const names = bundleImports(readFileSync(bundle, 'utf8'));
  const closure = dependencyClosure(names, root);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const rootModules = join(root, 'node_modules');
  for (const folder of [...closure.keys()].sort()) {
    // keep nested node_modules/ paths as they are, so each package finds the same versions
    const target = join(out, relative(rootModules, folder));
    cpSync(folder, target, {
      recursive: true,
      filter: (src) => !relative(folder, src).split(sep).includes('node_modules'),
    });
  }
  const copied = readdirSync(out).length;
  process.stderr.write(`bundle-deps: ${names.join(', ') || 'no packages'} -> ${closure.size} packages in ${relative(root, out) || out} (${copied} top-level entries)\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bundle-deps: ${error.message}\n`);
    process.exitCode = 1;
  }
}
