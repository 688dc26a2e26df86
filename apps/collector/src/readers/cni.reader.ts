import { CNI_GREP_ARGS, parseCniRecords } from '@netatlas/parsers';
import { CommandFailedError } from '../runner.js';
import { SourceAbsentError, type Reader } from './reader.js';

/** Where container runtimes (libcni) and host-local IPAM keep their records. */
export const DEFAULT_CNI_DIR = '/var/lib/cni';

const NO_SUCH = /No such file or directory/;

/**
 * The addresses the node's CNI gave its containers, from its records on disk (host-local's
 * allocations and the runtime's cached results): a pod's address is known the moment it is made,
 * before it has sent a packet. Files have no kernel events; a new veth is when a new pod's records
 * appear (they are written just after it), and the poll catches the rest.
 */
export const cniReader: Reader = {
  name: 'cni',
  kinds: ['cniAddr'],
  pollGroup: 'cni',
  triggers: ['link'],
  async read({ runner, timeoutMs, options }) {
    const dir = (options.cniDir ?? DEFAULT_CNI_DIR).replace(/\/+$/, '');
    let text: string;
    try {
      text = await runner.run('grep', [...CNI_GREP_ARGS, `${dir}/networks`, `${dir}/results`], timeoutMs);
    } catch (err) {
      if (!(err instanceof CommandFailedError)) throw err;
      const { code, stdout, stderr } = err.result;
      // exit 1: no line at all (empty directories, only host-local's empty lock)
      if (code === 1) return [];
      const missing = stderr.split('\n').filter((l) => NO_SUCH.test(l)).length;
      if (code === 2 && stdout === '' && missing >= 2) throw new SourceAbsentError(`no CNI records on this node: neither ${dir}/networks nor ${dir}/results exists`);
      // exit 2 with output: one of the two is not there, or a file went away mid-read (a pod deleted)
      if (!(code === 2 && (stdout !== '' || missing >= 1))) throw err;
      text = stdout;
    }
    return parseCniRecords(text);
  },
};
