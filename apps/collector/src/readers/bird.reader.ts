import { existsSync } from 'node:fs';
import { parseBirdProtocols } from '@netatlas/parsers';
import { SourceAbsentError, type Reader } from './reader.js';

/** Calico's BIRD puts its socket here; a stand-alone BIRD uses the second. */
export const BIRD_SOCKETS = ['/var/run/calico/bird.ctl', '/run/bird/bird.ctl'];

export const birdReader: Reader = {
  name: 'bird',
  kinds: ['bgpSession'],
  pollGroup: 'bgp',
  triggers: [],
  async read({ runner, timeoutMs, now, options }) {
    const candidates = options.birdSocket ? [options.birdSocket] : BIRD_SOCKETS;
    const socket = candidates.find((s) => existsSync(s));
    if (!socket) throw new SourceAbsentError(`no BIRD control socket at ${candidates.join(' or ')}`);
    return parseBirdProtocols(await runner.run('birdc', ['-s', socket, 'show', 'protocols', 'all'], timeoutMs), now());
  },
};
