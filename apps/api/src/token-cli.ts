// npm run token -- create --node NAME | list [--node NAME] | revoke (--id ID | --node NAME)
// (in the API image: node dist/apps/api/token-cli.js …)
// Per-node collector tokens in the database at DATABASE_URL. `create` prints the token alone on
// stdout (shown once: only its SHA-256 is kept); give it to that node's collector as NETATLAS_TOKEN.
import { NodeNameSchema } from '@netatlas/wire';
import pg from 'pg';
import { parseArgs } from 'node:util';
import { CollectorTokensRepository } from './db/repositories/collector-tokens.repository.js';
import { databaseUrlFromEnv } from './db/url.js';

const USAGE = `usage: npm run token -- create --node NAME
       npm run token -- list [--node NAME]
       npm run token -- revoke --id ID | --node NAME
(the database at DATABASE_URL)`;

function fail(message: string, code = 2): never {
  console.error(`token: ${message}`);
  process.exit(code);
}

const { values, positionals } = parseArgs({ options: { node: { type: 'string' }, id: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const command = positionals[0];
if (!command || !['create', 'list', 'revoke'].includes(command) || positionals.length > 1) fail(`${command ? `unknown command ${JSON.stringify(positionals.join(' '))}` : 'no command'}\n${USAGE}`);
if (values.node !== undefined && !NodeNameSchema.safeParse(values.node).success) fail(`--node ${JSON.stringify(values.node)} is not a node name (letters, digits, ".", "_" and "-")`);
if (values.id !== undefined && !/^\d{1,18}$/.test(values.id)) fail(`--id ${JSON.stringify(values.id)} is not a token id (see: npm run token -- list)`);

let url: string;
try {
  url = databaseUrlFromEnv();
} catch (error) {
  fail((error as Error).message);
}
const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'netatlas-token' });
const tokens = new CollectorTokensRepository(pool);
try {
  if (command === 'create') {
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
  await pool.end();
}
