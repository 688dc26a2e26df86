import { parseIpsetSave } from '@netatlas/parsers';
import type { Reader } from './reader.js';

/** Sets and members (kube-router keeps its pod subnets and node IPs here). No kernel events: polled. */
export const ipsetsReader: Reader = {
  name: 'ipsets',
  kinds: ['ipset', 'ipsetMember'],
  pollGroup: 'ipset',
  triggers: [],
  async read({ runner, timeoutMs }) {
    return parseIpsetSave(await runner.run('ipset', ['save'], timeoutMs));
  },
};
