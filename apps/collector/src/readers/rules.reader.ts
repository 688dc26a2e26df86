import { parseRules } from '@netatlas/parsers';
import type { Reader } from './reader.js';

/** Policy routing rules, IPv4 and IPv6 (`-details`: the protocol tells apart rules that are otherwise alike). */
export const rulesReader: Reader = {
  name: 'rules',
  kinds: ['rule'],
  pollGroup: 'kernel',
  // link: a rule naming an interface detaches and attaches as it goes and comes, unannounced
  triggers: ['rule', 'link'],
  async read({ runner, timeoutMs }) {
    const [v4, v6] = await Promise.all([
      runner.run('ip', ['-details', '-json', '-4', 'rule', 'show'], timeoutMs),
      runner.run('ip', ['-details', '-json', '-6', 'rule', 'show'], timeoutMs),
    ]);
    return [...parseRules(v4, 'inet'), ...parseRules(v6, 'inet6')];
  },
};
