import { parseGobgpNeighbors } from '@netatlas/parsers';
import { CommandFailedError, ToolMissingError } from '../runner.js';
import { somethingListens } from './listening.js';
import { SourceAbsentError, type Reader } from './reader.js';

export const gobgpReader: Reader = {
  name: 'gobgp',
  kinds: ['bgpSession'],
  pollGroup: 'bgp',
  triggers: [],
  async read({ runner, timeoutMs, options }) {
    const [host, port] = splitHostPort(options.gobgpApi);
    if (!runner.available('gobgp')) throw new ToolMissingError('gobgp');
    if (!(await somethingListens(runner, Number(port), timeoutMs))) {
      throw new SourceAbsentError(`no GoBGP daemon answering at ${options.gobgpApi}`);
    }
    try {
      return parseGobgpNeighbors(await runner.run('gobgp', ['-u', host, '-p', port, 'neighbor', '-j'], timeoutMs));
    } catch (err) {
      // the client is installed but no gobgpd listens: this node does not run GoBGP
      if (err instanceof CommandFailedError && /connection refused|Unavailable|connect: |context deadline exceeded/i.test(err.result.stderr + err.result.stdout)) {
        throw new SourceAbsentError(`no GoBGP daemon answering at ${options.gobgpApi}`);
      }
      throw err;
    }
  },
};

function splitHostPort(hostPort: string): [string, string] {
  const i = hostPort.lastIndexOf(':');
  if (i <= 0) return [hostPort, '50051'];
  return [hostPort.slice(0, i).replace(/^\[|\]$/g, ''), hostPort.slice(i + 1)];
}
