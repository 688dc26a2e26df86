// Link kinds by what the graph makes of them: one home for the topology, the forwarding model and the checks.

/** Tunnel devices: drawn as tunnels, never the underlay, and a route through one leaves by its lower device. */
export const TUNNEL_KINDS: ReadonlySet<string> = new Set([
  'vxlan', 'ipip', 'sit', 'ip6tnl', 'gre', 'gretap', 'ip6gre', 'ip6gretap', 'geneve', 'wireguard', 'vti', 'vti6', 'erspan',
]);
