import { parseArgs } from 'node:util';

export const USAGE = `Usage: netatlas-collector [options]

Reads this node's network state (links, addresses, routes, neighbors, fdb,
ipsets, BGP sessions) and streams it to the netatlas API.

Options:
  --api <url>      API base URL (default: http://127.0.0.1:3000)
  --node <name>    node name to report (default: the host name)
  --netns <name>   read a network namespace through \`ip -n <name>\` (lab nodes)
  -h, --help       show this help and exit
`;

export interface CollectorOptions {
  help: boolean;
  apiUrl: URL;
  nodeName: string | undefined;
  netns: string | undefined;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** Parses the collector's command line (without the node and script paths). Throws on bad input. */
export function parseCollectorArgs(argv: readonly string[]): CollectorOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      node: { type: 'string' },
      netns: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals.length > 0) {
    throw new Error(`unexpected argument: ${positionals[0]}`);
  }
  const api = values.api ?? DEFAULT_API_URL;
  let apiUrl: URL;
  try {
    apiUrl = new URL(api);
  } catch {
    throw new Error(`--api is not a URL: ${api}`);
  }
  if (apiUrl.protocol !== 'http:' && apiUrl.protocol !== 'https:') {
    throw new Error(`--api must be an http(s) URL: ${api}`);
  }
  for (const name of ['node', 'netns'] as const) {
    if (values[name] === '') {
      throw new Error(`--${name} must not be empty`);
    }
  }
  return {
    help: values.help ?? false,
    apiUrl,
    nodeName: values.node,
    netns: values.netns,
  };
}
