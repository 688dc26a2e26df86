import { parseSysctls, SYSCTL_GREP_ARGS } from '@netatlas/parsers';
import { CommandFailedError } from '../runner.js';
import type { Reader } from './reader.js';

/**
 * Forwarding, rp_filter, proxy_arp and proxy_ndp of every interface and of `all`/`default`, read
 * from /proc/sys/net in the node's namespace. The kernel announces each change as an `ip monitor
 * netconf` event (and a new interface's settings with it), so they are re-read on those.
 */
export const sysctlsReader: Reader = {
  name: 'sysctls',
  kinds: ['sysctl'],
  pollGroup: 'kernel',
  triggers: ['netconf', 'link'],
  async read({ runner, timeoutMs }) {
    let text: string;
    try {
      text = await runner.run('grep', [...SYSCTL_GREP_ARGS], timeoutMs);
    } catch (err) {
      // exit 2 with output: a directory that is not there (IPv6 off) or an interface gone mid-read
      if (!(err instanceof CommandFailedError && err.result.code === 2 && err.result.stdout !== '')) throw err;
      text = err.result.stdout;
    }
    return parseSysctls(text);
  },
};
