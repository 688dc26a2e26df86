// parseGobgpNeighbors against `gobgp neighbor -j` captured from GoBGP 3.10 in a kube-router lab
// (fixtures/, see captures.json), plus variants of the JSON other versions print.
import { readFileSync } from 'node:fs';
import { type BgpSessionValue } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseGobgpNeighbors } from './index.js';

const dir = new URL('./fixtures/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, dir), 'utf8');
const capturedAt = (name: string) =>
  new Date(
    (JSON.parse(read('captures.json')) as { captures: { case: string; capturedAt: string }[] }).captures.find((c) => c.case === name)
      ?.capturedAt ?? 'missing',
  );
const sessions = (file: string): BgpSessionValue[] => parseGobgpNeighbors(read(file)).map((f) => f.value);
const peer = (list: BgpSessionValue[], address: string) => {
  const p = list.find((s) => s.peerAddress === address);
  if (!p) throw new Error(`no peer ${address}`);
  return p;
};

describe('parseGobgpNeighbors: captured output', () => {
  it('iBGP full mesh: two established peers in AS 64512 with one prefix each way', () => {
    const list = sessions('gobgp-mesh-established.json');
    const at = capturedAt('gobgp-mesh-established');
    expect(list.map((s) => [s.peerAddress, s.state])).toEqual([
      ['172.20.0.12', 'established'],
      ['172.20.0.13', 'established'],
    ]);
    for (const s of list) {
      expect(s).toMatchObject({ daemon: 'gobgp', name: null, peerAs: 64512, localAs: 64512, localAddress: '172.20.0.11' });
      expect([s.prefixesReceived, s.prefixesAccepted]).toEqual([1, 1]);
      // `neighbor -j` does not ask for advertised counts: unknown, not 0
      expect(s.prefixesSent).toBeNull();
      expect([s.holdTime, s.keepalive]).toEqual([9, 3]);
      const since = Date.parse(s.since ?? '');
      expect(new Date(since).toISOString()).toBe(s.since);
      expect(since).toBeLessThanOrEqual(at.getTime());
      expect(at.getTime() - since).toBeLessThan(5 * 60_000);
    }
  });

  it('the single-peer form is one object and has the advertised count', () => {
    const list = sessions('gobgp-neighbor-single.json');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ peerAddress: '172.20.0.12', state: 'established', prefixesReceived: 1, prefixesAccepted: 1, prefixesSent: 1 });
  });

  it('a stopped peer goes idle, then active/connect, with since = when it went down', () => {
    const idle = sessions('gobgp-peer-stopped-idle.json');
    expect(peer(idle, '172.20.0.12')).toMatchObject({ state: 'idle', prefixesReceived: 0, prefixesAccepted: 0 });
    expect(peer(idle, '172.20.0.13').state).toBe('established');
    const retry = sessions('gobgp-peer-stopped-active.json');
    const down = peer(retry, '172.20.0.12');
    expect(['active', 'connect']).toContain(down.state);
    expect(peer(retry, '172.20.0.13').state).toBe('established');
    // not established: the configured timers, and the downtime, later than the session's uptime
    expect([down.holdTime, down.keepalive]).toEqual([9, 3]);
    const upSince = Date.parse(peer(sessions('gobgp-mesh-established.json'), '172.20.0.12').since ?? '');
    expect(Date.parse(down.since ?? '')).toBeGreaterThan(upSince);
    expect(Date.parse(down.since ?? '')).toBeLessThanOrEqual(capturedAt('gobgp-peer-stopped-active').getTime());
  });

  it('no neighbors: []', () => {
    expect(read('gobgp-no-neighbors.json').trim()).toBe('[]');
    expect(parseGobgpNeighbors(read('gobgp-no-neighbors.json'))).toEqual([]);
    expect(parseGobgpNeighbors('null\n')).toEqual([]);
  });
});

describe('parseGobgpNeighbors: other spellings', () => {
  const base = JSON.parse(read('gobgp-mesh-established.json')) as Record<string, Record<string, unknown>>[];
  const withState = (state: unknown) => {
    const p = structuredClone(base[0]);
    if (!p) throw new Error('fixture empty');
    (p['state'] as Record<string, unknown>)['session_state'] = state;
    return JSON.stringify([p]);
  };

  it('session states as numbers (apipb enum) and as names', () => {
    const states = [0, 1, 2, 3, 4, 5, 6].map((n) => parseGobgpNeighbors(withState(n))[0]?.value.state);
    expect(states).toEqual(['idle', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established']);
    expect(parseGobgpNeighbors(withState('ESTABLISHED'))[0]?.value.state).toBe('established');
    expect(parseGobgpNeighbors(withState('SESSION_STATE_OPENCONFIRM'))[0]?.value.state).toBe('openconfirm');
    expect(parseGobgpNeighbors(withState('BGP_FSM_ACTIVE'))[0]?.value.state).toBe('active');
    expect(parseGobgpNeighbors(withState('connect'))[0]?.value.state).toBe('connect');
  });

  it('timestamps as {seconds}, a bare number or RFC 3339 text', () => {
    const p = structuredClone(base[0]) as Record<string, Record<string, Record<string, unknown>>>;
    const t = p['timers']?.['state'];
    if (!t) throw new Error('fixture has no timers.state');
    t['uptime'] = '2026-11-23T11:46:30Z';
    expect(parseGobgpNeighbors(JSON.stringify(p))[0]?.value.since).toBe('2026-11-23T11:46:30.000Z');
    t['uptime'] = 1795434390;
    expect(parseGobgpNeighbors(JSON.stringify(p))[0]?.value.since).toBe('2026-11-23T11:46:30.000Z');
    t['uptime'] = { seconds: '1795434390' };
    expect(parseGobgpNeighbors(JSON.stringify(p))[0]?.value.since).toBe('2026-11-23T11:46:30.000Z');
  });
});

describe('parseGobgpNeighbors: not GoBGP output', () => {
  it('throws ParseError on garbage, empty output and truncated JSON', () => {
    expect(() => parseGobgpNeighbors('rpc error: code = Unavailable desc = connection refused')).toThrow(/not valid JSON/);
    expect(() => parseGobgpNeighbors('')).toThrow(ParseError);
    const full = read('gobgp-mesh-established.json');
    expect(() => parseGobgpNeighbors(full.slice(0, full.length / 2))).toThrow(/not valid JSON/);
  });

  it('throws on an unexpected shape, naming it', () => {
    expect(() => parseGobgpNeighbors('{"error":"boom"}')).toThrow(/neither "conf" nor "state"/);
    expect(() => parseGobgpNeighbors('42')).toThrow(/expected an array of peers/);
    expect(() => parseGobgpNeighbors('[1]')).toThrow(/peer \[0\] should be an object/);
    expect(() => parseGobgpNeighbors('[{"state":{"session_state":6}}]')).toThrow(/neighbor_address/);
    expect(() => parseGobgpNeighbors('[{"state":{"neighbor_address":"10.0.0.1","session_state":9}}]')).toThrow(/session_state 9/);
    expect(() => parseGobgpNeighbors('[{"state":{"neighbor_address":"10.0.0.1","peer_asn":"many"}}]')).toThrow(/peer_asn/);
  });
});
