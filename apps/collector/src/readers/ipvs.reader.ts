import { parseIpvsadm, parseProcIpVs } from '@netatlas/parsers';
import { ToolMissingError } from '../runner.js';
import { SourceAbsentError, type Reader } from './reader.js';

/** IPVS virtual services: `ipvsadm -Ln` when installed, else /proc/net/ip_vs. */
export const ipvsReader: Reader = {
  name: 'ipvs',
  kinds: ['ipvsService'],
  pollGroup: 'ipvs',
  triggers: [],
  async read({ runner, timeoutMs }) {
    try {
      return parseIpvsadm(await runner.run('ipvsadm', ['-Ln'], timeoutMs));
    } catch (err) {
      if (!(err instanceof ToolMissingError)) throw err;
    }
    let text: string;
    try {
      text = await runner.readFile('/proc/net/ip_vs', timeoutMs);
    } catch {
      throw new SourceAbsentError('no IPVS: ipvsadm is not installed and /proc/net/ip_vs is absent (ip_vs module not loaded)');
    }
    return parseProcIpVs(text);
  },
};
