// npm run db:migrate: applies pending SQL migrations to the database at DATABASE_URL.
// Options: --dir <folder> (default prisma/migrations).
import { parseArgs } from 'node:util';
import { databaseUrlFromEnv, redactUrl } from './url.js';
import { migrate } from './migrate.js';

const { values } = parseArgs({ options: { dir: { type: 'string' } } });

let url: string;
try {
  url = databaseUrlFromEnv();
} catch (error) {
  console.error(`db:migrate: ${(error as Error).message}`);
  process.exit(2);
}

try {
  const log = (line: string) => console.log(`db:migrate: ${line}`);
  log(`migrating ${redactUrl(url)}`);
  const result = await migrate(url, { dir: values.dir, log });
  log(`${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
} catch (error) {
  console.error(`db:migrate: ${(error as Error).message}`);
  process.exit(1);
}
