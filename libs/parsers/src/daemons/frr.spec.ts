// parseFrrBgpSummary against `vtysh -c 'show bgp summary json'` captured from FRR 8.4 (Debian 12)
// running in namespaces of the capture script (fixtures/, see captures.json).
import { readFileSync } from 'node:fs';
import { type BgpSessionValue } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseFrrBgpSummary } from './index.js';

const dir = new URL('./fixtures/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, dir), 'utf8');
const sessions = (file: string): BgpSessionValue[] => parseFrrBgpSummary(read(file)).map((f) => f.value);
const peer = (list: BgpSessionValue[], address: string) => {
  const p = list.find((s) => s.peerAddress === address);
  if (!p) throw new Error(`no peer ${address}`);
  return p;
};

describe('parseFrrBgpSummary: captured output', () => {
  it('merges each peer over its address families, one fact per peer', () => {
    const raw = JSON.parse(read('frr-mixed.json')) as Record<string, { peers: Record<string, unknown> }>;
    expect(Object.keys(raw)).toEqual(['ipv4Unicast', 'ipv6Unicast']);
    expect(Object.keys(raw['ipv6Unicast']?.peers ?? {})).toContain('10.99.0.2'); // in both sections
    const list = sessions('frr-mixed.json');
    expect(list.map((s) => s.peerAddress).sort()).toEqual(['10.99.0.10', '10.99.0.2', '10.99.0.3', '10.99.0.4', '10.99.0.9', 'fd99::2']);
    expect(list.filter((s) => s.state === 'established')).toHaveLength(4);
  });

  it('states: Established, Active (nobody there), Idle (Admin) (shut down)', () => {
    const list = sessions('frr-mixed.json');
    expect(peer(list, '10.99.0.9')).toMatchObject({ name: 'nobody-home', state: 'active', since: null });
    expect(peer(list, '10.99.0.10')).toMatchObject({ name: 'maintenance', state: 'idle', since: null });
  });

  it('AS numbers, descriptions and prefix counts summed over the families', () => {
    const list = sessions('frr-mixed.json');
    // b: 1 IPv4 + 2 IPv6 prefixes; c: 3 IPv4 over eBGP from AS 64513; BIRD d: 2 IPv4 + 1 IPv6
    expect(peer(list, '10.99.0.2')).toMatchObject({ daemon: 'frr', name: 'node-b', peerAs: 64512, localAs: 64512, prefixesReceived: 3, prefixesAccepted: 3 });
    expect(peer(list, '10.99.0.3')).toMatchObject({ name: 'upstream-c', peerAs: 64513, localAs: 64512, prefixesReceived: 3 });
    expect(peer(list, '10.99.0.4')).toMatchObject({ name: 'bird-d', peerAs: 64514, prefixesReceived: 3 });
    expect(peer(list, 'fd99::2')).toMatchObject({ name: null, peerAs: 64512, state: 'established', prefixesReceived: 2 });
    for (const s of list) expect(s).toMatchObject({ localAddress: null, holdTime: null, keepalive: null, lastError: null });
  });

  it('since: the established epoch, a valid date not after the capture', () => {
    const manifest = JSON.parse(read('captures.json')) as { captures: { case: string; capturedAt: string }[] };
    const at = Date.parse(manifest.captures.find((c) => c.case === 'frr-mixed')?.capturedAt ?? 'missing');
    expect(Number.isNaN(at)).toBe(false);
    for (const s of sessions('frr-mixed.json').filter((x) => x.state === 'established')) {
      const t = Date.parse(s.since ?? '');
      expect(new Date(t).toISOString()).toBe(s.since);
      expect(t).toBeLessThanOrEqual(at);
    }
  });

  it('a peer whose bgpd stopped is no longer established; since is when it dropped', () => {
    const before = sessions('frr-mixed.json');
    const after = sessions('frr-peer-down.json');
    const c = peer(after, '10.99.0.3');
    expect(['active', 'connect', 'idle']).toContain(c.state);
    expect(c.prefixesReceived).toBe(0);
    expect(Date.parse(c.since ?? '')).toBeGreaterThan(Date.parse(peer(before, '10.99.0.3').since ?? ''));
    expect(after.filter((s) => s.state === 'established').map((s) => s.peerAddress).sort()).toEqual(['10.99.0.2', '10.99.0.4', 'fd99::2']);
  });

  it('bgpd without `router bgp` prints {}: no sessions', () => {
    expect(read('frr-no-bgp.json').trim()).toBe('{}');
    expect(parseFrrBgpSummary(read('frr-no-bgp.json'))).toEqual([]);
  });

  it('reads the single-family form (show bgp ipv4 unicast summary json)', () => {
    const raw = JSON.parse(read('frr-mixed.json')) as Record<string, unknown>;
    const list = parseFrrBgpSummary(JSON.stringify(raw['ipv4Unicast'])).map((f) => f.value);
    expect(list).toHaveLength(5);
    expect(peer(list, '10.99.0.2').prefixesReceived).toBe(1);
  });
});

describe('parseFrrBgpSummary: not FRR summary output', () => {
  it('throws ParseError on garbage, vtysh errors and truncated JSON', () => {
    expect(() => parseFrrBgpSummary('% Unknown command: show bgp summary jsn')).toThrow(/not valid JSON/);
    expect(() => parseFrrBgpSummary('')).toThrow(ParseError);
    const full = read('frr-mixed.json');
    expect(() => parseFrrBgpSummary(full.slice(0, 1000))).toThrow(/not valid JSON/);
  });

  it('throws on an unexpected shape, naming it', () => {
    expect(() => parseFrrBgpSummary('[]')).toThrow(/expected an object of address-family sections but got an array/);
    expect(() => parseFrrBgpSummary('{"ipv4Unicast": 3}')).toThrow(/"ipv4Unicast" should be an address-family section/);
    expect(() => parseFrrBgpSummary('{"default": {"ipv4Unicast": {"peers": {}}}}')).toThrow(/"default" is not an address-family section/);
    expect(() => parseFrrBgpSummary('{"ipv4Unicast": {"peers": {"10.0.0.1": {"state": "Dancing"}}}}')).toThrow(/unknown peer state "Dancing"/);
    expect(() => parseFrrBgpSummary('{"ipv4Unicast": {"peers": {"10.0.0.1": {"remoteAs": 1}}}}')).toThrow(/10\.0\.0\.1 has no "state"/);
  });

  it('maps every FRR state spelling', () => {
    const one = (state: string) =>
      parseFrrBgpSummary(JSON.stringify({ peers: { '10.0.0.1': { state, remoteAs: '1.10' } } }))[0]?.value;
    expect(['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established', 'Clearing', 'Deleted', 'Idle (PfxCt)'].map((s) => one(s)?.state)).toEqual([
      'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established', 'idle', 'idle', 'idle',
    ]);
    expect(one('Idle')?.peerAs).toBe(65546); // asdot 1.10
  });
});
