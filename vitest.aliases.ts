// The workspace libraries by their import names, for every project's vitest config (the same
// mapping as tsconfig.base.json's `paths`; spec files sit outside the tsconfigs that carry it).
import { fileURLToPath } from 'node:url';

const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

export const workspaceAliases = {
  '@netatlas/wire': lib('wire'),
  '@netatlas/parsers': lib('parsers'),
  '@netatlas/graph': lib('graph'),
};
