// npm run trace -- [--api URL] [--at TIME] [--token TOKEN] [--json] FROM TO
// Asks the API how a packet from FROM (a pod's IP or namespace/name, a node, an address) to TO
// travels now or at TIME, and prints the path the way tracepath does. Exit status: 0 delivered on
// every branch, 1 not (partly or not at all), 2 a usage or API error.
import { parseArgs } from 'node:util';
import type { TraceResult } from '@netatlas/wire';
import { formatTrace } from './format.js';

const USAGE = `usage: npm run trace -- [--api URL] [--at TIME] [--token TOKEN] [--json] FROM TO
  FROM, TO   a pod (its IP, or namespace/name when the API watches Kubernetes), a node name, or an IP
  --api      the API's base URL (default $NETATLAS_API or http://127.0.0.1:3000)
  --at       a past moment, ISO 8601 (default now)
  --token    an API token (default $NETATLAS_API_TOKEN; not needed on loopback's anonymous default)
  --json     print the API's answer as it is`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { api: { type: 'string' }, at: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 2) {
    process.stderr.write(`need FROM and TO\n${USAGE}\n`);
    return 2;
  }
  const api = (values.api ?? process.env['NETATLAS_API'] ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const token = values.token ?? process.env['NETATLAS_API_TOKEN'];
  const q = new URLSearchParams({ from: positionals[0]!, to: positionals[1]! });
  if (values.at) q.set('at', values.at);
  let response: Response;
  try {
    response = await fetch(`${api}/api/trace?${q}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    process.stderr.write(`cannot reach the API at ${api}: ${(error as Error).message}\n`);
    return 2;
  }
  const body = await response.text();
  if (!response.ok) {
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      // not JSON: as it is
    }
    process.stderr.write(`the API answered ${response.status}: ${message.slice(0, 500)}\n`);
    return 2;
  }
  const result = JSON.parse(body) as TraceResult;
  process.stdout.write(values.json ? `${body}\n` : `${formatTrace(result)}\n`);
  return result.verdict === 'delivered' ? 0 : 1;
}

process.exitCode = await main();
