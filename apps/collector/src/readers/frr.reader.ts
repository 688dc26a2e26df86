import { parseFrrBgpSummary } from '@netatlas/parsers';
import { CommandFailedError } from '../runner.js';
import { SourceAbsentError, type Reader } from './reader.js';

export const frrReader: Reader = {
  name: 'frr',
  kinds: ['bgpSession'],
  pollGroup: 'bgp',
  triggers: [],
  async read({ runner, timeoutMs }) {
    let out: string;
    try {
      out = await runner.run('vtysh', ['-c', 'show bgp summary json'], timeoutMs);
    } catch (err) {
      const text = err instanceof CommandFailedError ? err.result.stderr + err.result.stdout : '';
      if (/failed to connect to any daemons|bgpd is not running|Connection refused/i.test(text)) {
        throw new SourceAbsentError('no FRR bgpd answering vtysh');
      }
      throw err;
    }
    return parseFrrBgpSummary(out);
  },
};
