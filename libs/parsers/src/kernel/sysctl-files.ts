// Which forwarding settings the sysctl reader reads, and the one command that reads them all:
// `grep -r -H` prints each file as `path:value`, in the namespace it runs in (/proc/sys/net is the
// reading process's own). grep is on every Linux (procps' `sysctl` is not in slim images), and one
// run reads every interface's files in a few milliseconds. No imports: the capture script runs it too.

/** The files read under /proc/sys/net/ipv4/conf/<name>/ and /proc/sys/net/ipv6/conf/<name>/. */
export const SYSCTL_FILES = {
  ipv4: ['forwarding', 'rp_filter', 'proxy_arp'],
  ipv6: ['forwarding', 'proxy_ndp'],
} as const;

export const SYSCTL_DIRS = ['/proc/sys/net/ipv4/conf', '/proc/sys/net/ipv6/conf'] as const;

/**
 * `grep` arguments: `-s` because a missing directory (IPv6 off) or a file gone mid-read (an
 * interface deleted) is not an error here; grep then exits 2 with what it did read.
 */
export const SYSCTL_GREP_ARGS: readonly string[] = [
  '-r', '-H', '-s',
  ...[...new Set([...SYSCTL_FILES.ipv4, ...SYSCTL_FILES.ipv6])].map((f) => `--include=${f}`),
  '.',
  ...SYSCTL_DIRS,
];
