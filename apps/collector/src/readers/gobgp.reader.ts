import { parseGobgpNeighbors, parseGobgpOrigins } from '@netatlas/parsers';
import { CommandFailedError } from '../runner.js';
import { daemonAbsent, daemonAnswered, requireTool, toolSaid, type DaemonSource } from './daemon-source.js';
import { somethingListens } from './listening.js';
import type { Reader } from './reader.js';

/** Where kube-router's GoBGP serves its API: the node's loopback (each namespace has its own). */
export const DEFAULT_GOBGP_API = '127.0.0.1:50051';

/** The client's words for an API with no gobgpd behind it. */
const NOT_ANSWERING = /connection refused|Unavailable|connect: |context deadline exceeded/i;

/** One poll: the sessions (`neighbor -j`) and the paths GoBGP originates (local paths of the global RIB, both families). */
export const gobgpReader: Reader = {
  name: 'gobgp',
  kinds: ['bgpSession', 'bgpOrigin'],
  pollGroup: 'bgp',
  triggers: [],
  async read(ctx) {
    const { runner, timeoutMs, options } = ctx;
    const api = options.gobgpApi ?? DEFAULT_GOBGP_API;
    const src: DaemonSource = { daemon: 'GoBGP', what: `GoBGP API ${api}`, configured: options.gobgpApi !== undefined };
    const [host, port] = splitHostPort(api);
    requireTool(runner, 'gobgp', src);
    // the client waits its whole time-out when nothing listens: look first
    if (!(await somethingListens(runner, Number(port), timeoutMs))) return daemonAbsent(ctx, src, `nothing listens on port ${port}`);
    const gobgp = async (args: string[]) => {
      try {
        return await runner.run('gobgp', ['-u', host, '-p', port, ...args, '-j'], timeoutMs);
      } catch (err) {
        if (err instanceof CommandFailedError && NOT_ANSWERING.test(err.result.stderr + err.result.stdout)) {
          return daemonAbsent(ctx, src, toolSaid(err));
        }
        throw err;
      }
    };
    const [neighbors, rib4, rib6] = await Promise.all([
      gobgp(['neighbor']),
      gobgp(['global', 'rib', '-a', 'ipv4']),
      gobgp(['global', 'rib', '-a', 'ipv6']),
    ]);
    daemonAnswered(ctx, api);
    return [...parseGobgpNeighbors(neighbors), ...parseGobgpOrigins(rib4), ...parseGobgpOrigins(rib6)];
  },
};

function splitHostPort(hostPort: string): [string, string] {
  const i = hostPort.lastIndexOf(':');
  if (i <= 0) return [hostPort, '50051'];
  return [hostPort.slice(0, i).replace(/^\[|\]$/g, ''), hostPort.slice(i + 1)];
}
