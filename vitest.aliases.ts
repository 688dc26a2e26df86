// The workspace libraries by their import names, for every project's vitest config (the same
// mapping as tsconfig.base.json's `paths`; spec files sit outside the tsconfigs that carry it).
import { fileURLToPath } from 'node:url';

const lib = (name: string, entry = 'index') => fileURLToPath(new URL(`./libs/${name}/src/${entry}.ts`, import.meta.url));

// sub-entries first: an alias also matches longer import paths that start with it
export const workspaceAliases = {
  '@netatlas/wire/core': lib('wire', 'core'),
  '@netatlas/wire': lib('wire'),
  '@netatlas/parsers': lib('parsers'),
  '@netatlas/graph': lib('graph'),
  // test support only: specs and testing/ folders (eslint allows it nowhere else)
  '@netatlas/lab-testing': fileURLToPath(new URL('./tools/lab/src/testing/index.ts', import.meta.url)),
};
