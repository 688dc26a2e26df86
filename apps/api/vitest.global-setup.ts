// The API's code imports the Prisma client generated from prisma/schema.prisma (git-ignored).
// `nx test api` generates it first (the prisma-generate target); this covers `npx vitest run`
// and `npm test` straight after `npm ci`: generate when the client is missing or older than the schema.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function mtime(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

export default function generatePrismaClient(): void {
  const generated = mtime(`${root}apps/api/src/generated/prisma/client.ts`);
  const schema = mtime(`${root}prisma/schema.prisma`);
  if (generated !== null && schema !== null && generated >= schema) return;
  const run = spawnSync('npm', ['run', '--silent', 'db:generate'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`npm run db:generate failed (exit ${run.status ?? run.signal})`);
}
