// COLLECTOR_ENV and COLLECTOR_FLAGS are the machine-readable lists of what the collector reads (the
// deploy tests check docker-compose.yml and the DaemonSet against them): they must match the code.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_ENV, COLLECTOR_FLAGS, parseCollectorArgs, USAGE } from './args.js';

const SRC = fileURLToPath(new URL('.', import.meta.url));
const tokenFile = join(mkdtempSync(join(tmpdir(), 'collector-token-')), 'token');
writeFileSync(tokenFile, 'a-token\n');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('COLLECTOR_FLAGS', () => {
  it('are all in USAGE, and USAGE has no other', () => {
    const documented = [...USAGE.matchAll(/^\s+(?:-\w, )?--([a-z][a-z-]*)/gm)].map((m) => m[1]!);
    expect([...documented].sort()).toEqual([...COLLECTOR_FLAGS].sort());
  });

  it('are accepted by parseCollectorArgs, and nothing else is', () => {
    for (const flag of COLLECTOR_FLAGS as readonly string[]) {
      const boolean = ['once', 'watch', 'help'].includes(flag);
      const argv =
        flag === 'token'
          ? ['--api', 'http://127.0.0.1:3000', '--token', 'x']
          : flag === 'token-file'
            ? ['--api', 'http://127.0.0.1:3000', '--token-file', tokenFile]
            : boolean ? [`--${flag}`] : [`--${flag}`, flag === 'api' ? 'http://127.0.0.1:3000' : '1'];
      expect(() => parseCollectorArgs(argv, { NETATLAS_TOKEN: 't' }), flag).not.toThrow();
    }
    expect(() => parseCollectorArgs(['--no-such-flag'], {})).toThrow();
  });
});

describe('COLLECTOR_ENV', () => {
  it('holds the variables parseCollectorArgs reads', () => {
    const reads = new Set<string>();
    const env = new Proxy({ NETATLAS_TOKEN: 't' } as NodeJS.ProcessEnv, {
      get(target, name) {
        if (typeof name === 'string') reads.add(name);
        return target[name as string];
      },
    });
    parseCollectorArgs(['--api', 'http://127.0.0.1:3000'], env);
    expect([...reads].sort()).toEqual(['NETATLAS_BIRD_SOCKET', 'NETATLAS_CNI_DIR', 'NETATLAS_FRR_VTY_SOCKET', 'NETATLAS_GOBGP_API', 'NETATLAS_TOKEN', 'NETATLAS_TOKEN_FILE']);
    for (const name of reads) expect(COLLECTOR_ENV, name).toContain(name);
  });

  it('holds every environment variable named in the collector source, and nothing else', () => {
    const named = new Set<string>();
    for (const file of sourceFiles(SRC)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\benv\[['"]([A-Za-z_][A-Za-z0-9_]*)['"]\]|\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
        named.add(m[1] ?? m[2]!);
      }
    }
    expect([...named].sort()).toEqual([...COLLECTOR_ENV].sort());
  });
});
