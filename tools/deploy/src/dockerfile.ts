// A small Dockerfile reader for the deploy tests: stages and their instructions, with line
// continuations, comments, exec (JSON) and shell forms, ENV pairs and ARG defaults expanded. It reads
// what deploy/docker/*.Dockerfile use; dockerfile-utils (dockerfile.spec.ts) checks the syntax itself.

export interface Instruction {
  keyword: string;
  /** the arguments as written (continuations joined with a space) */
  raw: string;
  /** 1-based line of the keyword */
  line: number;
  /** the exec form's strings (JSON array), or null for the shell form */
  exec: string[] | null;
  /** `--name=value` flags before the arguments (COPY, HEALTHCHECK, ...) */
  flags: Record<string, string>;
  /** the arguments after the flags (shell form), split on whitespace */
  args: string[];
}

export interface Stage {
  /** `FROM image[:tag] [AS name]` */
  image: string;
  name: string | null;
  index: number;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

function parseJsonArray(text: string): string[] | null {
  const t = text.trim();
  if (!t.startsWith('[')) return null;
  try {
    const value: unknown = JSON.parse(t);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
  } catch {
    return null;
  }
}

function splitFlags(raw: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = raw.trim();
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
    if (!m) break;
    flags[m[1]!] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** Logical lines: comments dropped (also inside continuations), `\` continuations joined. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let current: { line: number; parts: string[] } | null = null;
  text.split('\n').forEach((physical, i) => {
    const trimmed = physical.trim();
    if (trimmed.startsWith('#')) return;
    if (current === null && trimmed === '') return;
    const continued = /\\\s*$/.test(physical);
    const content = continued ? physical.replace(/\\\s*$/, '') : physical;
    if (current === null) current = { line: i + 1, parts: [] };
    current.parts.push(content.trim());
    if (!continued) {
      out.push({ line: current.line, text: current.parts.filter(Boolean).join(' ') });
      current = null;
    }
  });
  if (current !== null) out.push({ line: (current as { line: number }).line, text: (current as { parts: string[] }).parts.join(' ') });
  return out;
}

/** `${NAME}` / `$NAME` from `vars`; unknown names stay as they are. */
export function expandVars(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a?: string, b?: string) => {
    const name = (a ?? b)!;
    return name in vars ? vars[name]! : whole;
  });
}

/** ENV's `KEY=value KEY2="a b"` pairs (or the old `ENV KEY value`). */
export function envPairs(raw: string): Array<[string, string]> {
  const text = raw.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) {
    const m = /^(\S+)\s+(.*)$/.exec(text);
    return m ? [[m[1]!, m[2]!]] : [];
  }
  const pairs: Array<[string, string]> = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)\s*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    let value = m[2]!;
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (value.startsWith("'")) value = value.slice(1, -1);
    pairs.push([m[1]!, value]);
  }
  return pairs;
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { line, text: logical } of logicalLines(text)) {
    const m = /^(\S+)\s*(.*)$/s.exec(logical);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    const raw = m[2]!.trim();
    if (keyword === 'FROM') {
      const parts = raw.split(/\s+/).filter((p) => !p.startsWith('--'));
      const as = parts.findIndex((p) => p.toUpperCase() === 'AS');
      stages.push({ image: expandVars(parts[0]!, globalArgs), name: as >= 0 ? parts[as + 1]! : null, index: stages.length, instructions: [] });
      continue;
    }
    if (keyword === 'ARG' && stages.length === 0) {
      const [name, value] = raw.split('=', 2) as [string, string | undefined];
      globalArgs[name] = value ?? '';
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`line ${line}: ${keyword} before the first FROM`);
    const { flags, rest } = ['COPY', 'ADD', 'HEALTHCHECK', 'RUN'].includes(keyword) ? splitFlags(raw) : { flags: {}, rest: raw };
    stage.instructions.push({ keyword, raw, line, exec: parseJsonArray(rest), flags, args: rest.split(/\s+/).filter(Boolean) });
  }
  return { globalArgs, stages };
}

/** The stage's environment after its ENV and ARG instructions (ARG defaults expand into ENV values). */
export function stageEnv(stage: Stage, dockerfile: Dockerfile): Record<string, string> {
  const vars: Record<string, string> = { ...dockerfile.globalArgs };
  const env: Record<string, string> = {};
  for (const ins of stage.instructions) {
    if (ins.keyword === 'ARG') {
      const [name, value] = ins.raw.split('=', 2) as [string, string | undefined];
      vars[name] = value ?? dockerfile.globalArgs[name] ?? '';
    } else if (ins.keyword === 'ENV') {
      for (const [k, v] of envPairs(ins.raw)) {
        env[k] = expandVars(v, { ...vars, ...env });
      }
    }
  }
  return env;
}

/** `COPY [--from=x] src... dest`: sources and destination. */
export function copyParts(ins: Instruction): { from: string | null; sources: string[]; dest: string } {
  const parts = ins.exec ?? ins.args;
  if (parts.length < 2) throw new Error(`line ${ins.line}: COPY needs a source and a destination`);
  return { from: ins.flags['from'] ?? null, sources: parts.slice(0, -1), dest: parts.at(-1)! };
}

/** The stage's final CMD/ENTRYPOINT as one argv (exec forms only). */
export function startCommand(stage: Stage): string[] {
  const last = (k: string) => stage.instructions.filter((i) => i.keyword === k).at(-1);
  const entrypoint = last('ENTRYPOINT');
  const cmd = last('CMD');
  for (const ins of [entrypoint, cmd]) {
    if (ins && ins.exec === null) throw new Error(`line ${ins.line}: ${ins.keyword} must use the exec (JSON) form`);
  }
  return [...(entrypoint?.exec ?? []), ...(cmd?.exec ?? [])];
}
