// netatlas collector: reads a node's network state and prints it (`--once`), keeps it current
// and prints deltas (`--watch`), or streams both to the API (`--api`).
import { hostname } from 'node:os';
import { parseCollectorArgs, USAGE, type CollectorOptions } from './args.js';
import { Collector } from './collector.js';
import { watchNamespace } from './netns-watch.js';
import { selectReaders } from './readers/registry.js';
import { SystemRunner } from './runner.js';
import { StreamClient } from './stream/stream-client.js';
import { Watcher } from './watch.js';

/** how long a stopping collector waits for the API to ack what it sent */
const CLOSE_DRAIN_MS = 2000;
/** how long a collector whose node is gone tries to tell the API */
const LEAVE_TIMEOUT_MS = 10_000;

function log(message: string): void {
  process.stderr.write(`netatlas-collector: ${message}\n`);
}

export function buildCollector(options: CollectorOptions): Collector {
  return new Collector({
    nodeName: options.nodeName ?? options.netns ?? hostname(),
    runner: new SystemRunner(options.netns),
    readers: selectReaders(options.readers),
    options: { birdSocket: options.birdSocket, gobgpApi: options.gobgpApi, frrVtySocket: options.frrVtySocket, cniDir: options.cniDir },
    timeoutMs: options.timeoutMs,
  });
}

/** The version to report: NETATLAS_VERSION, else the npm package version when run through npm, else 0.0.0-dev. */
function collectorVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env['NETATLAS_VERSION'] || env['npm_package_version'] || '0.0.0-dev';
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
  });
}

/** A stop signal, or (with --netns) the node leaving: its namespace deleted. */
async function untilStopOrLeave(netns: string | undefined): Promise<{ signal: NodeJS.Signals } | { left: string }> {
  const namespace = netns === undefined ? null : watchNamespace(netns);
  try {
    return await Promise.race([
      untilSignal().then((signal) => ({ signal })),
      ...(namespace ? [namespace.gone.then((left) => ({ left }))] : []),
    ]);
  } finally {
    namespace?.stop();
  }
}

/** `--api`: the snapshot and the Watcher's deltas go to the API instead of stdout. */
async function stream(options: CollectorOptions & { api: string; token: string | (() => string) }, collector: Collector): Promise<number> {
  const snapshot = collector.snapshot();
  const nodeFact = snapshot.facts.find((f) => f.kind === 'node');
  const bootId = nodeFact?.kind === 'node' ? nodeFact.value.bootId : 'unknown';
  const client = new StreamClient({
    url: options.api,
    token: options.token,
    node: snapshot.node,
    bootId,
    version: collectorVersion(),
    snapshot: () => collector.snapshot(),
    readers: () => collector.readerStatuses(),
    log,
  });
  const watcher = new Watcher(collector, {
    netns: options.netns,
    debounceMs: options.debounceMs,
    pollSeconds: options.pollSeconds,
    onDelta: (delta) => client.pushDelta(delta, new Date().toISOString()),
    onLog: log,
  });
  await watcher.start();
  log(`streaming node ${snapshot.node} to ${client.url} (epoch ${client.epoch})`);
  client.start();
  const end = await untilStopOrLeave(options.netns);
  watcher.stop();
  let how: string;
  if ('left' in end) {
    log(`${end.left}: node ${snapshot.node} left; telling the API`);
    const told = await client.leave(end.left, LEAVE_TIMEOUT_MS);
    how = told ? 'left' : 'left (the API was not told)';
  } else {
    await client.close(CLOSE_DRAIN_MS);
    how = `${end.signal}: stopped`;
  }
  const c = client.counters;
  log(`${how} (sent ${c.sent}, acked ${c.acked}, snapshots ${c.snapshots}, retries ${c.retries}, dropped deltas ${c.dropped})`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: CollectorOptions;
  try {
    options = parseCollectorArgs(argv);
    if (!options.help && options.mode === null) throw new Error('choose --once or --watch');
  } catch (error) {
    process.stderr.write(`netatlas-collector: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let collector: Collector;
  try {
    collector = buildCollector(options);
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    return 2;
  }
  await collector.start();
  for (const [name, s] of Object.entries(collector.readerStatuses())) {
    if (s.status !== 'ok') log(`reader ${name}: ${s.status}: ${s.error ?? ''}`);
  }
  if (options.mode === 'once') {
    process.stdout.write(JSON.stringify(collector.snapshot()) + '\n');
    return 0;
  }
  if (options.api !== undefined && options.token !== undefined) {
    return stream({ ...options, api: options.api, token: options.token }, collector);
  }
  let seq = 0;
  const watcher = new Watcher(collector, {
    netns: options.netns,
    debounceMs: options.debounceMs,
    pollSeconds: options.pollSeconds,
    onDelta: (delta, trigger) => {
      seq += 1;
      process.stdout.write(JSON.stringify({ type: 'delta', seq, takenAt: new Date().toISOString(), trigger, ...delta }) + '\n');
    },
    onLog: log,
  });
  // the snapshot follows the monitors' subscription, so no change falls between the two
  await watcher.start();
  process.stdout.write(JSON.stringify({ type: 'snapshot', ...collector.snapshot() }) + '\n');
  const end = await untilStopOrLeave(options.netns);
  watcher.stop();
  if ('left' in end) {
    process.stdout.write(JSON.stringify({ type: 'leave', takenAt: new Date().toISOString(), reason: end.left }) + '\n');
    log(`${end.left}: node left`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // watching and streaming leave monitors and sockets behind: exit instead of waiting for them
    const continuous = process.argv.some((a) => a === '--watch' || a === '--api' || a.startsWith('--api='));
    if (code !== 0 || continuous) process.exit(code);
  },
  (err: Error) => {
    log(`fatal: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
