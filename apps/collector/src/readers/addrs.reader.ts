import { parseAddrs } from '@netatlas/parsers';
import type { Reader } from './reader.js';

export const addrsReader: Reader = {
  name: 'addrs',
  kinds: ['addr'],
  pollGroup: 'kernel',
  triggers: ['address', 'link'],
  async read({ runner, timeoutMs }) {
    return parseAddrs(await runner.run('ip', ['-json', 'addr', 'show'], timeoutMs));
  },
};
