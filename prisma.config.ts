// Prisma 7 CLI configuration. Only `prisma generate` runs here (npm run db:generate); the schema
// engine behind `prisma migrate` / `db push` cannot be downloaded on these machines, so the SQL in
// prisma/migrations is applied by the project itself (npm run db:migrate). The URL is for the CLI
// commands that need a database; the API connects through @prisma/adapter-pg (apps/api/src/db).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env['DATABASE_URL'] },
});
