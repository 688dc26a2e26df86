// The API's folders import one another in one direction only: no cycle between folders (issue 17).
// Files at src/ itself are two layers: the composition root (app.module.ts, main.ts, start.ts, …),
// which may import anything and nothing imports, and the shared core (config.ts, app-tokens.ts,
// app-version.ts), which every module may import. Specs and the test support (testing/, e2e/) are not
// counted (a test may reach across); no module imports them.
// Each module's own settings are provided under its own token (settings.ts reads them all at start),
// so config.ts, which every module imports, imports none of them.
// All SQL is in db/ (repositories, migrations, the pool and its transactions): no other module
// writes a statement, transaction control included (issue: repositories). Test support and
// generated code are not counted.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
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

/**
 * An SQL statement in a string: the statements the API writes (in capitals, as it writes all SQL),
 * transaction control and advisory locks. BEGIN only as a statement, so that a PEM header's
 * "-----BEGIN CERTIFICATE-----" is not one.
 */
const SQL =
  /\b(?:SELECT|INSERT\s+INTO|UPDATE\s+\w+(?:\s+\w+)?\s+SET|DELETE\s+FROM|COPY\s*\(|COPY\s+\w+\s+(?:FROM|TO)|CREATE\s+(?:TEMP|TABLE|INDEX|UNIQUE)|ALTER\s+TABLE|DROP\s+TABLE|TRUNCATE|BEGIN(?=\s*(?:;|$|ISOLATION|READ|TRANSACTION|WORK))|COMMIT|ROLLBACK|DECLARE\s+\w+\s+(?:NO\s+SCROLL\s+)?CURSOR|FETCH\s+\S+\s+FROM|SET\s+(?:LOCAL|TRANSACTION)|pg_advisory\w*|LISTEN|NOTIFY)\b/;

/**
 * The string and template literals of a TypeScript source that hold SQL, with their lines. Parsed,
 * not grepped: comments are not literals, and a template's parts are read with a word in place of
 * each `${…}` (`UPDATE ${table} SET` is a statement).
 */
function sqlLiterals(file: string, text: string): Array<{ line: number; sql: string }> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Array<{ line: number; sql: string }> = [];
  const visit = (node: ts.Node): void => {
    let literal: string | null = null;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) literal = node.text;
    else if (ts.isTemplateExpression(node)) literal = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' _ ');
    if (literal !== null && SQL.test(literal)) {
      found.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, sql: literal.replace(/\s+/g, ' ').trim().slice(0, 80) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
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

  it('hold no SQL outside db/: services, controllers and workers call the repositories', () => {
    const files = sources(SRC).filter((file) => layerOf(file) !== 'db');
    expect(files.length).toBeGreaterThan(50); // the modules were found
    const found = files.flatMap((file) => sqlLiterals(file, readFileSync(file, 'utf8')).map((l) => `${relative(SRC, file)}:${l.line}: ${l.sql}`));
    expect(found, 'SQL outside apps/api/src/db/ (move it into a repository of db/repositories/)').toEqual([]);
    // and the repositories are where it is
    expect(sources(join(SRC, 'db', 'repositories')).filter((file) => sqlLiterals(file, readFileSync(file, 'utf8')).length > 0).length).toBeGreaterThan(10);
  });
});

describe('the SQL check', () => {
  const lines = (text: string) => sqlLiterals('x.ts', text).map((l) => l.line);

  it('finds statements in strings and templates, transaction control and advisory locks', () => {
    expect(lines(`const a = 'SELECT 1';`)).toEqual([1]);
    expect(lines(`\nawait c.query(\`UPDATE \${table} SET x = $1\`, [1]);`)).toEqual([2]);
    expect(lines(`q(\`UPDATE facts f SET valid_to = $2 FROM x\`)`)).toEqual([1]);
    expect(lines(`q("INSERT INTO nodes (name) VALUES ($1)")`)).toEqual([1]);
    expect(lines(`q(\`DELETE FROM facts WHERE id IN (\${ids})\`)`)).toEqual([1]);
    expect(lines(`q(\`COPY (SELECT 1) TO STDOUT\`)`)).toEqual([1]);
    expect(lines(`q('BEGIN'); q('BEGIN READ ONLY'); q('BEGIN; SELECT 1'); q('COMMIT'); q('ROLLBACK')`)).toEqual([1, 1, 1, 1, 1]);
    expect(lines(`q(\`DECLARE held NO SCROLL CURSOR FOR \${sql}\`); q(\`FETCH \${n} FROM held\`)`)).toEqual([1, 1]);
    expect(lines(`q('SET LOCAL work_mem = 1'); q('select pg_advisory_lock($1)'); q('LISTEN changes')`)).toEqual([1, 1, 1]);
  });

  it('does not take comments or prose for SQL', () => {
    expect(lines(`// SELECT id FROM nodes\n/* BEGIN; UPDATE nodes SET x = 1; COMMIT */\nconst x = 1;`)).toEqual([]);
    expect(lines(`log('Select a node'); log('-----BEGIN CERTIFICATE-----'); env('NETATLAS_NOTIFY_CONFIG'); log('the update set in')`)).toEqual([]);
  });
});

describe('the current state', () => {
  it('has one home: only state/current-state.ts starts a worker thread that holds state (the part decoder\'s holds none), and the bundle carries those two', () => {
    const starters = sources(SRC)
      .filter((file) => /\bstartWorkerThread\(|\bnew Worker\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file))
      .filter((file) => file !== 'state/worker-thread.ts'); // (where startWorkerThread is defined)
    // the part decoder's worker decodes a snapshot's part and answers it: it keeps nothing between parts
    expect(starters).toEqual(['ingest/part-decoder.ts', 'state/current-state.ts']);
    expect(readFileSync(join(SRC, 'ingest/part-decoder-worker.ts'), 'utf8')).not.toMatch(/new (Map|Set)\b|^(let|var) /m);
    const build = readFileSync(join(SRC, '..', 'project.json'), 'utf8');
    expect(build.match(/apps\/api\/src\/\S+-worker\.ts/g)).toEqual(['apps/api/src/state/state-worker.ts', 'apps/api/src/ingest/part-decoder-worker.ts']);
  });
});
