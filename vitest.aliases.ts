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
};
