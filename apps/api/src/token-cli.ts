// npm run token -- create --node NAME | list [--node NAME] | revoke (--id ID | --node NAME)
//                  create-api --name NAME --role viewer|operator|admin | list-api | revoke-api --id ID
// (in the API image: node dist/apps/api/token-cli.js …)
// Per-node collector tokens and viewers' API tokens in the database at DATABASE_URL. `create` and
// `create-api` print the token alone on stdout (shown once: only its SHA-256 is kept); give a
// collector token to that node's collector as NETATLAS_TOKEN, an API token to a script as
// `Authorization: Bearer …` or paste it into the sign-in page.
import { NewApiTokenSchema, NodeNameSchema, ROLES } from '@netatlas/wire';
import pg from 'pg';
import { parseArgs } from 'node:util';
import { ApiTokensRepository } from './db/repositories/api-tokens.repository.js';
import { PrismaPg } from '@prisma/adapter-pg';
import { CollectorTokensRepository } from './db/repositories/collector-tokens.repository.js';
import { PrismaClient } from './generated/prisma/client.js';
import { databaseUrlFromEnv } from './db/url.js';

const USAGE = `usage: npm run token -- create --node NAME
       npm run token -- list [--node NAME]
       npm run token -- revoke --id ID | --node NAME
       npm run token -- create-api --name NAME --role ${ROLES.join('|')}
       npm run token -- list-api
       npm run token -- revoke-api --id ID
(collector tokens: create, list, revoke; viewers' API tokens: create-api, list-api, revoke-api;
the database at DATABASE_URL)`;

function fail(message: string, code = 2): never {
  console.error(`token: ${message}`);
  process.exit(code);
}

const { values, positionals } = parseArgs({
  options: { node: { type: 'string' }, id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  allowPositionals: true,
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const command = positionals[0];
const COMMANDS = ['create', 'list', 'revoke', 'create-api', 'list-api', 'revoke-api'];
if (!command || !COMMANDS.includes(command) || positionals.length > 1) fail(`${command ? `unknown command ${JSON.stringify(positionals.join(' '))}` : 'no command'}\n${USAGE}`);
if (values.node !== undefined && !NodeNameSchema.safeParse(values.node).success) fail(`--node ${JSON.stringify(values.node)} is not a node name (letters, digits, ".", "_" and "-")`);
if (values.id !== undefined && !/^\d{1,18}$/.test(values.id)) fail(`--id ${JSON.stringify(values.id)} is not a token id (see: npm run token -- list)`);

let url: string;
try {
  url = databaseUrlFromEnv();
} catch (error) {
  fail((error as Error).message);
}
const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'netatlas-token' });
const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
const tokens = new CollectorTokensRepository(prisma);
const apiTokens = new ApiTokensRepository(pool);
try {
  if (command === 'create-api') {
    const parsed = NewApiTokenSchema.safeParse({ name: values.name, role: values.role });
    if (!parsed.success) fail(`create-api needs --name NAME (letters, digits, space, . _ @ -) and --role ${ROLES.join('|')}\n${USAGE}`);
    const { secret, token } = await apiTokens.create(parsed.data.name, parsed.data.role, 'token-cli');
    console.error(`API token ${token.id} "${token.name}" (${token.role}): send it as Authorization: Bearer …, or paste it into the sign-in page (it is shown only now)`);
    console.log(secret);
  } else if (command === 'list-api') {
    const rows = await apiTokens.list();
    if (rows.length === 0) console.log('no API tokens');
    for (const t of rows) console.log(`${String(t.id).padStart(6)}  ${t.name.padEnd(30)}  ${t.role.padEnd(8)}  created ${t.createdAt}${t.lastUsedAt ? `  last used ${t.lastUsedAt}` : ''}`);
  } else if (command === 'revoke-api') {
    if (values.id === undefined) fail(`revoke-api needs --id ID\n${USAGE}`);
    console.log((await apiTokens.revoke(Number(values.id))) ? 'token revoked' : `no live API token with id ${values.id}`);
  } else if (command === 'create') {
    if (!values.node) fail(`create needs --node NAME\n${USAGE}`);
    const { token, row } = await tokens.create(values.node);
    console.error(`token ${row.id} for node ${row.node}: give it to that node's collector as NETATLAS_TOKEN (it is shown only now)`);
    console.log(token);
  } else if (command === 'list') {
    const rows = await tokens.list(values.node);
    if (rows.length === 0) console.log('no collector tokens');
    for (const r of rows) console.log(`${r.id.padStart(6)}  ${r.node.padEnd(30)}  created ${r.createdAt.toISOString()}${r.revokedAt ? `  revoked ${r.revokedAt.toISOString()}` : ''}`);
  } else {
    if ((values.id === undefined) === (values.node === undefined)) fail(`revoke needs --id ID or --node NAME\n${USAGE}`);
    const n = await tokens.revoke(values.id !== undefined ? { id: values.id } : { node: values.node! });
    console.log(`${n} token(s) revoked`);
  }
} catch (error) {
  fail((error as Error).message, 1);
} finally {
  await prisma.$disconnect();
  await pool.end();
}
