// Rendering deploy/kubernetes/*: with the real kustomize (`kubectl kustomize`, when kubectl is
// installed), and with a small reader of the kustomization features these manifests use (`resources:`
// files and folders, nothing else), so the checks run on a machine without kubectl too. The test
// compares the two wherever kubectl exists, and the reader refuses any feature it does not implement.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

const KNOWN_KEYS = new Set(['apiVersion', 'kind', 'resources']);

export function parseYamlDocuments(text: string, where: string): KubeObject[] {
  return parseAllDocuments(text).flatMap((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${where} document ${i + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as KubeObject | null;
    return value === null ? [] : [value];
  });
}

function kustomizationFile(dir: string): string {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new Error(`${dir} has no kustomization.yaml`);
}

/** The objects `kustomize build DIR` would print, for kustomizations made only of `resources:`. */
export function renderKustomization(dir: string, seen = new Set<string>()): KubeObject[] {
  const file = kustomizationFile(dir);
  if (seen.has(file)) throw new Error(`${file} is included twice (a cycle?)`);
  seen.add(file);
  const [kustomization] = parseYamlDocuments(readFileSync(file, 'utf8'), file) as unknown as Array<Record<string, unknown>>;
  if (!kustomization || kustomization['kind'] !== 'Kustomization') throw new Error(`${file} is not a Kustomization`);
  const unknown = Object.keys(kustomization).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length > 0) {
    throw new Error(`${file} uses ${unknown.join(', ')}, which tools/deploy/src/kustomize.ts does not render: teach it, or keep to resources:`);
  }
  const objects: KubeObject[] = [];
  for (const entry of (kustomization['resources'] as string[] | undefined) ?? []) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) objects.push(...renderKustomization(path, seen));
    else objects.push(...parseYamlDocuments(readFileSync(path, 'utf8'), path));
  }
  const ids = new Set<string>();
  for (const o of objects) {
    const id = objectId(o);
    if (ids.has(id)) throw new Error(`${file}: ${id} is defined twice`);
    ids.add(id);
  }
  return objects;
}

export function objectId(o: KubeObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`;
}

/** `kubectl kustomize DIR`, or null when kubectl is not installed. */
export function kubectlKustomize(dir: string): KubeObject[] | null {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr || run.error?.message}`);
  return parseYamlDocuments(run.stdout, `kubectl kustomize ${dir}`);
}
