// @netatlas/wire/core is the entry the collector (and the parsers, the delta engine) import: types,
// keys and the protocol's constants, never zod (~20 MB of RSS on every node). The REST answers'
// types are inferred from zod schemas (rest-schemas.ts and the modules' *-schemas.ts), so the entry
// must reach them as types only: bundled the way the collector is, it imports no package at all and
// no schema module.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('@netatlas/wire/core', () => {
  it('loads no zod and no schema module at run time', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('./core.ts', import.meta.url))],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      packages: 'external',
      logLevel: 'silent',
    });
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports).toEqual([]);
    const modules = Object.keys(result.metafile.inputs).map((path) => path.replace(/^.*\//, ''));
    expect(modules).toContain('protocol.ts');
    expect(modules.filter((m) => m.endsWith('-schemas.ts') || m === 'fact.ts' || m === 'messages.ts')).toEqual([]);
  });
});
