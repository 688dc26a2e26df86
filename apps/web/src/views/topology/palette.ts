// Colours of the topology and the BGP matrix (dark theme, readable on a wall screen).
import { scaleOrdinal } from 'd3';
import type { BgpColour } from './level-of-detail.js';

export const COLOURS = {
  background: '#0d1117',
  hostFill: '#161b22',
  hostStroke: '#30363d',
  hostHeader: '#c9d1d9',
  hostMuted: '#8b949e',
  bridge: '#1f3a5f',
  bridgeText: '#9ecbff',
  tunnel: '#3b2a5c',
  tunnelText: '#d2a8ff',
  chip: '#2d333b',
  veth: '#3d5a73',
  pod: '#2ea99f',
  podText: '#0d1117',
  subnet: '#21262d',
  external: '#3a2f1f',
  externalText: '#e3b341',
  underlay: '#484f58',
  route: '#58a6ff',
  routeMismatch: '#f0883e',
  tunnelEdge: '#a371f7',
  match: '#ffd33d',
  /** a traced path's hosts and pods, and where a branch of it failed */
  path: '#2fd5e6',
  pathFailed: '#ff4d4d',
  selected: '#ffffff',
  hover: '#8b949e',
  added: '#3fb950',
  removed: '#f85149',
  changed: '#d29922',
  statusLost: '#f85149',
  statusDisconnected: '#d29922',
} as const;

export const BGP_COLOURS: Record<BgpColour, string> = {
  established: '#3fb950',
  pending: '#d29922',
  down: '#f85149',
};

/** An accent per CNI style for host headers. */
export const cniColour = scaleOrdinal<string, string>()
  .domain(['kube-router', 'calico', 'flannel', 'unknown'])
  .range(['#58a6ff', '#f0883e', '#a371f7', '#8b949e']);
