import type { BgpSessionValue } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { labCapture } from '../../testing/fixtures.js';
import { addressOwners, buildBgpMatrix, cellKey, changedCells, formatPrefixes, sessionsFromFacts } from './bgp-matrix.js';

const session = (over: Partial<BgpSessionValue>): BgpSessionValue => ({
  daemon: 'bird',
  name: null,
  peerAddress: '172.20.0.12',
  peerAs: 64512,
  localAddress: '172.20.0.11',
  localAs: 64512,
  state: 'established',
  since: '2026-11-23T14:00:00.000Z',
  prefixesReceived: 1,
  prefixesAccepted: 1,
  prefixesSent: 1,
  lastError: null,
  holdTime: 9,
  keepalive: 3,
  ...over,
});

describe('BGP matrix of a real kube-router lab (GoBGP)', () => {
  const cap = labCapture();

  it('a full mesh of 3 nodes: 6 established cells, columns named after the nodes owning the peer addresses', () => {
    const m = buildBgpMatrix(sessionsFromFacts(cap.bgpBefore.nodes));
    expect(m.rows.map((r) => [r.node, r.established, r.sessions])).toEqual([
      ['wdev-node1', 2, 2],
      ['wdev-node2', 2, 2],
      ['wdev-node3', 2, 2],
    ]);
    expect(m.columns.map((c) => `${c.label} ${c.peerAddress}`)).toEqual(['wdev-node1 172.20.0.11', 'wdev-node2 172.20.0.12', 'wdev-node3 172.20.0.13']);
    expect(m.totals).toEqual({ sessions: 6, established: 6, byState: { established: 6 } });
    const c = m.cells.get(cellKey('wdev-node1', '172.20.0.12'))!;
    expect(c).toMatchObject({ peerHost: 'wdev-node2', state: 'established', colour: 'established', daemons: ['gobgp'] });
    expect(c.since).toMatch(/^2026-11-23T15:0/);
    // GoBGP says what it received and accepted, not what it sent
    expect(formatPrefixes(c.prefixes)).toBe('↓1 ✓1');
    expect(m.cells.has(cellKey('wdev-node1', '172.20.0.11'))).toBe(false);
    expect(m.problems).toEqual([]);
  });

  it('after node3 left and node2’s daemon stopped: node1’s session to node2 is down, rows stay for every node', () => {
    const after = sessionsFromFacts(cap.bgpAfterStopBgpNode2.nodes);
    // node2 reports no sessions at all (its GoBGP is gone): the node IPs from the topology still name the peer
    const owners = addressOwners(after, new Map([['wdev-node1', ['172.20.0.11/24']], ['wdev-node2', ['172.20.0.12/24']]]));
    const m = buildBgpMatrix(after, { nodes: ['wdev-node1', 'wdev-node2'], owners });
    expect(m.rows.map((r) => [r.node, r.established, r.sessions])).toEqual([
      ['wdev-node1', 0, 1],
      ['wdev-node2', 0, 0],
    ]);
    const c = m.cells.get(cellKey('wdev-node1', '172.20.0.12'))!;
    expect(c.state).toBe('active');
    expect(c.colour).toBe('down');
    expect(c.peerHost).toBe('wdev-node2');
    expect(m.problems.map((p) => `${p.node}→${p.peerAddress}`)).toEqual(['wdev-node1→172.20.0.12']);
    const changes = changedCells(buildBgpMatrix(sessionsFromFacts(cap.bgpBefore.nodes)), m);
    expect(changes.get(cellKey('wdev-node1', '172.20.0.12'))).toEqual(['established', 'active']);
    expect(changes.get(cellKey('wdev-node3', '172.20.0.11'))).toEqual(['established', null]);
  });
});

describe('BGP matrix across daemons', () => {
  it('one cell per node × peer shows the worst state of its daemons and adds their prefix counts', () => {
    const m = buildBgpMatrix({
      a: [
        session({ daemon: 'bird', state: 'established', prefixesReceived: 3, prefixesSent: 1 }),
        session({ daemon: 'frr', state: 'opensent', since: '2026-11-23T14:05:00.000Z', prefixesReceived: 0, prefixesSent: null }),
        session({ daemon: 'bird', peerAddress: '192.0.2.1', peerAs: 65000, name: 'upstream', state: 'idle', lastError: 'Connection refused' }),
      ],
      b: [session({ localAddress: '172.20.0.12', peerAddress: '172.20.0.11' })],
    });
    const c = m.cells.get(cellKey('a', '172.20.0.12'))!;
    expect(c.state).toBe('opensent');
    expect(c.colour).toBe('pending');
    expect(c.since).toBe('2026-11-23T14:05:00.000Z');
    expect(c.daemons).toEqual(['bird', 'frr']);
    expect(c.prefixes).toEqual({ received: 3, accepted: 2, sent: 1 });
    // peers that are nodes first (named by the local addresses the nodes report), then external ones
    expect(m.columns.map((x) => x.label)).toEqual(['a', 'b', '192.0.2.1']);
    expect(m.cells.get(cellKey('a', '192.0.2.1'))!.colour).toBe('down');
    expect(m.problems.map((p) => p.state)).toEqual(['idle', 'opensent']);
    expect(m.totals.byState).toEqual({ established: 2, opensent: 1, idle: 1 });
  });

  it('a node that left with no sessions gets no row; one still reporting sessions, or still peered with, is marked departed', () => {
    const a = session({ localAddress: '172.20.0.11', peerAddress: '172.20.0.12', state: 'active' });
    const b = session({ localAddress: '172.20.0.12', peerAddress: '172.20.0.11', state: 'active' });
    const owners = new Map([
      ['172.20.0.11', 'a'],
      ['172.20.0.12', 'b'],
      ['172.20.0.13', 'c'],
    ]);
    // c left: its facts ended (an empty list), nobody peers with it
    const gone = buildBgpMatrix({ a: [], b: [], c: [] }, { nodes: ['a', 'b'], owners, departed: new Set(['c']) });
    expect(gone.rows.map((r) => r.node)).toEqual(['a', 'b']);
    expect(gone.rows.every((r) => !r.departed)).toBe(true);
    // asked for as a row all the same (a list of nodes that includes it): still none
    expect(buildBgpMatrix({ c: [] }, { nodes: ['a', 'c'], owners, departed: new Set(['c']) }).rows.map((r) => r.node)).toEqual(['a']);
    // b left but a still peers with b's address: b's column stays, marked; b still reporting a session keeps its row, marked
    const stale = buildBgpMatrix({ a: [a], b: [b] }, { nodes: ['a'], owners, departed: new Set(['b']) });
    expect(stale.rows.map((r) => [r.node, r.departed])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect(stale.columns.map((c) => [c.label, c.departed])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    // without the departed set, every node named has its row, as before
    expect(buildBgpMatrix({ a: [], b: [], c: [] }).rows.map((r) => r.node)).toEqual(['a', 'b', 'c']);
  });

  it('an address two nodes claim names neither', () => {
    const owners = addressOwners({ a: [session({ localAddress: '10.0.0.1' })], b: [session({ localAddress: '10.0.0.1' })] });
    expect(owners.has('10.0.0.1')).toBe(false);
  });
});
