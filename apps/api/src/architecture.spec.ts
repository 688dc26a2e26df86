// The API's folders import one another in one direction only: no cycle between folders (issue 17).
// Files at src/ itself are two layers: the composition root (app.module.ts, main.ts, start.ts, …),
// which may import anything and nothing imports, and the shared core (config.ts, app-tokens.ts,
// app-version.ts), which every module may import. Specs and the test support (testing/, e2e/) are not
// counted (a test may reach across); no module imports them.
// Each module's own settings are provided under its own token (settings.ts reads them all at start),
// so config.ts, which every module imports, imports none of them.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('.', import.meta.url));
const CORE = new Set(['config.ts', 'app-tokens.ts', 'app-version.ts']);
const TEST_SUPPORT = new Set(['testing', 'e2e']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return TEST_SUPPORT.has(e.name) || e.name === 'generated' ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The layer a file of src/ belongs to: its top folder, (core) or (top). */
function layerOf(file: string): string {
  const rel = relative(SRC, file);
  if (rel.includes('/')) return rel.slice(0, rel.indexOf('/'));
  return CORE.has(rel.replace(/\.js$/, '.ts')) ? '(core)' : '(top)';
}

/** Folder → folder arrows, each with the imports that make it. */
function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sources(SRC)) {
    const from = layerOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)) {
      const target = normalize(join(dirname(file), m[1]!));
      if (!target.startsWith(SRC)) continue;
      const to = layerOf(target);
      if (to === from) continue;
      const out = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, out);
      out.set(to, [...(out.get(to) ?? []), `${relative(SRC, file)} -> ${relative(SRC, target)}`]);
    }
  }
  return graph;
}

/** The strongly connected components of more than one folder (Tarjan). */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('the API’s folders', () => {
  const graph = folderGraph();

  it('import each other without a cycle', () => {
    expect(graph.size).toBeGreaterThan(10); // the folders were found
    const found = cycles(graph).map((component) =>
      component.flatMap((from) => [...(graph.get(from) ?? [])].filter(([to]) => component.includes(to)).map(([to, via]) => `${from} -> ${to} (${via[0]})`)),
    );
    expect(found, 'import cycles between folders of apps/api/src').toEqual([]);
  });

  it('keep the composition root at the top and the test support out of the modules: nothing imports them', () => {
    const into = (layer: string) => [...graph].flatMap(([from, tos]) => (from !== '(top)' && tos.has(layer) ? tos.get(layer)! : []));
    expect(into('(top)')).toEqual([]);
    expect([...TEST_SUPPORT].flatMap(into)).toEqual([]);
  });
});
