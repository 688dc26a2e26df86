// What each CNI style provides to the lab orchestrator.
import type { BgpControl } from '../speakers.js';
import type { LabNode, LabState } from '../state.js';

export interface RequiredTool {
  command: string;
  debianPackage: string;
  /** where the package puts it when that is not on PATH (FRR's daemons: /usr/lib/frr) */
  dir?: string;
}

export interface BgpPeerState {
  peer: string;
  /** lower-case BGP FSM state: idle, connect, active, opensent, openconfirm, established */
  state: string;
}

export interface StyleDriver {
  tools: RequiredTool[];
  /** Devices, pods and daemons of one node; the rest of the cluster is read from `state`. */
  buildNode(state: LabState, node: LabNode): Promise<void>;
  /** Make every live node's view of the cluster (BGP peers, tunnel entries, ipsets) match `state.nodes`. */
  syncCluster(state: LabState): Promise<void>;
  /** Graceful leave, before the node is taken out of `state`: withdraw what it announces. */
  withdraw(state: LabState, node: LabNode): Promise<void>;
  /** Stop the node's BGP daemon: gracefully, or abruptly (`kill`, no notification to peers). */
  stopBgp(state: LabState, node: LabNode, kill: boolean): Promise<void>;
  startBgp(state: LabState, node: LabNode): Promise<void>;
  /** Session states as the node's daemon reports them; [] for styles without BGP. */
  bgpPeers(state: LabState, node: LabNode): Promise<BgpPeerState[]>;
  /** How peers reach the daemon: its control socket, API address or vty socket directory. */
  bgpControl(state: LabState, node: LabNode): BgpControl | null;
  /** Routes (destination -> gateway or device) a node must hold to reach every other node's pods. */
  podRoutes(state: LabState, node: LabNode): Map<string, string>;
}

/** Nodes whose BGP daemon is up and announcing: only these can be reached over BGP. */
export function announcing(state: LabState): LabNode[] {
  return state.nodes.filter((n) => n.state === 'up' && n.bgp === 'running');
}
