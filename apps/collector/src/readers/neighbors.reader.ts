import { parseNeighbors } from '@netatlas/parsers';
import type { Reader } from './reader.js';

/** ARP and NDP entries, and proxy entries (Calico answers 169.254.1.1 by proxy ARP). */
export const neighborsReader: Reader = {
  name: 'neighbors',
  kinds: ['neigh'],
  pollGroup: 'kernel',
  triggers: ['neigh', 'link'],
  async read({ runner, timeoutMs }) {
    const [plain, proxy] = await Promise.all([
      // `nud all`: plain `show` hides NOARP and NONE entries
      runner.run('ip', ['-json', 'neigh', 'show', 'nud', 'all'], timeoutMs),
      runner.run('ip', ['-json', 'neigh', 'show', 'proxy'], timeoutMs),
    ]);
    return [...parseNeighbors(plain, { proxy: false }), ...parseNeighbors(proxy, { proxy: true })];
  },
};
