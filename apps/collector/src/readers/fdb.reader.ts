import { parseFdb } from '@netatlas/parsers';
import type { Reader } from './reader.js';

/** Bridge forwarding entries, including vxlan remote VTEPs (flannel). */
export const fdbReader: Reader = {
  name: 'fdb',
  kinds: ['fdb'],
  pollGroup: 'kernel',
  triggers: ['fdb', 'link'],
  async read({ runner, timeoutMs }) {
    return parseFdb(await runner.run('bridge', ['-json', 'fdb', 'show'], timeoutMs));
  },
};
