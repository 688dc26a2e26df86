import pg from 'pg';
import { streamStateJson } from '../src/history/state-stream.js';
const url = process.argv[2]!; const at = process.argv[3] === 'now' ? null : new Date(process.argv[3]!);
const pool = new pg.Pool({ connectionString: url, max: 10 });
const times: number[] = [];
for (let r = 0; r < 5; r++) { const t0 = performance.now(); await streamStateJson(pool, at, null, () => undefined); times.push(performance.now() - t0); }
console.log(times.map((t) => t.toFixed(0)).join(' '), 'ms');
await pool.end();
