import { parseRoutes } from '@netatlas/parsers';
import type { Reader } from './reader.js';

/** Every table, IPv4 and IPv6. */
export const routesReader: Reader = {
  name: 'routes',
  kinds: ['route'],
  pollGroup: 'kernel',
  triggers: ['route', 'link'],
  async read({ runner, timeoutMs }) {
    const [v4, v6] = await Promise.all([
      runner.run('ip', ['-json', '-4', 'route', 'show', 'table', 'all'], timeoutMs),
      runner.run('ip', ['-json', '-6', 'route', 'show', 'table', 'all'], timeoutMs),
    ]);
    return [...parseRoutes(v4, 'inet'), ...parseRoutes(v6, 'inet6')];
  },
};
