import { parseLinks } from '@netatlas/parsers';
import type { Reader } from './reader.js';

export const linksReader: Reader = {
  name: 'links',
  kinds: ['link'],
  pollGroup: 'kernel',
  triggers: ['link'],
  async read({ runner, timeoutMs }) {
    return parseLinks(await runner.run('ip', ['-json', '-details', 'link', 'show'], timeoutMs));
  },
};
