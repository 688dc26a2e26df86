import { hostname } from 'node:os';
import { parseCollectorArgs, USAGE, type CollectorOptions } from './args.js';

function main(argv: readonly string[]): number {
  let options: CollectorOptions;
  try {
    options = parseCollectorArgs(argv);
  } catch (error) {
    process.stderr.write(`netatlas-collector: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const node = options.nodeName ?? hostname();
  process.stderr.write(
    `netatlas-collector: node ${node}, api ${options.apiUrl.href}: readers are not implemented yet\n`,
  );
  return 1;
}

process.exitCode = main(process.argv.slice(2));
