// npm run bench:diff -- --database-url URL --from T1 --to T2 [--runs 3]
//
// Times every way of finding a diff (diff-stream.ts: versions, states, window) over one window of an
// existing database, end to end as the API builds the answer (the nodes' JSON from COPY's bytes),
// and prints which one the API would choose. Made for a database kept by `npm run bench:api --
// --keep` (its log prints the synthetic history's window and the database's URL); the figures in
// diff-stream.ts come from it.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { diffStrategy, streamDiffJson, type DiffStrategy } from '../src/db/repositories/history/diff-stream.js';
import { ms, quantile } from './stats.js';

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    runs: { type: 'string', default: '3' },
    strategies: { type: 'string', default: 'versions,states,window' },
  },
});
if (!args['database-url'] || !args.from || !args.to) {
  process.stderr.write('usage: npm run bench:diff -- --database-url URL --from ISO --to ISO [--runs 3] [--strategies versions,states,window]\n');
  process.exit(2);
}
const from = new Date(args.from);
const to = new Date(args.to);
const runs = Math.max(1, Number(args.runs));
const pool = new pg.Pool({ connectionString: args['database-url'], max: 4 });
try {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM facts WHERE valid_from > $1 AND valid_from <= $2`, [from, to]);
  const state = (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM facts WHERE valid_to IS NULL`)).rows[0]!.n;
  process.stdout.write(`window ${from.toISOString()} → ${to.toISOString()}: ${Number(rows[0]!.n).toLocaleString('en')} versions began in it; the state has ${Number(state).toLocaleString('en')} facts\n`);
  process.stdout.write(`the API chooses: ${await diffStrategy(pool, from, to)}\n`);
  for (const strategy of args.strategies.split(',') as DiffStrategy[]) {
    const times: number[] = [];
    let nodes = 0;
    let bytes = 0;
    for (let r = 0; r < runs; r++) {
      nodes = 0;
      bytes = 0;
      const t0 = performance.now();
      await streamDiffJson(pool, from, to, undefined, (_node, json) => {
        nodes += 1;
        bytes += json.length;
      }, strategy);
      times.push(performance.now() - t0);
    }
    process.stdout.write(`${strategy.padEnd(9)} median ${ms(quantile(times, 0.5))}, min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))} of ${runs}; ${nodes} nodes, ${(bytes / 1048576).toFixed(1)} MB of JSON\n`);
  }
} finally {
  await pool.end();
}
