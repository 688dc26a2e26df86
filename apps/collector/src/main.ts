// netatlas collector: reads a node's network state and prints it (`--once`) or keeps it current
// and prints deltas (`--watch`).
import { hostname } from 'node:os';
import { parseCollectorArgs, USAGE, type CollectorOptions } from './args.js';
import { Collector } from './collector.js';
import { selectReaders } from './readers/registry.js';
import { SystemRunner } from './runner.js';
import { Watcher } from './watch.js';

function log(message: string): void {
  process.stderr.write(`netatlas-collector: ${message}\n`);
}

export function buildCollector(options: CollectorOptions): Collector {
  return new Collector({
    nodeName: options.nodeName ?? options.netns ?? hostname(),
    runner: new SystemRunner(options.netns),
    readers: selectReaders(options.readers),
    options: { birdSocket: options.birdSocket, gobgpApi: options.gobgpApi },
    timeoutMs: options.timeoutMs,
  });
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
  process.stdout.write(JSON.stringify({ type: 'snapshot', ...collector.snapshot() }) + '\n');
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
  watcher.start();
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  watcher.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    if (code !== 0 || process.argv.includes('--watch')) process.exit(code);
  },
  (err: Error) => {
    log(`fatal: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
