// parseBirdProtocols against `birdc show protocols all` captured from BIRD 2.0.12 in lab clusters
// and in a namespace peering with FRR (fixtures/, see captures.json), plus hand-made edge cases of
// the Since column and of broken output.
import { readFileSync } from 'node:fs';
import { type BgpSessionValue } from '@netatlas/wire';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseBirdProtocols } from './index.js';

const dir = new URL('./fixtures/', import.meta.url);
const manifest = (JSON.parse(readFileSync(new URL('captures.json', dir), 'utf8')) as {
  captures: { case: string; file: string; capturedAt: string; timeZone: string }[];
}).captures;

const savedTz = process.env['TZ'];
beforeEach(() => {
  process.env['TZ'] = 'UTC';
});
afterEach(() => {
  if (savedTz === undefined) delete process.env['TZ'];
  else process.env['TZ'] = savedTz;
});

function capture(name: string): { sessions: BgpSessionValue[]; at: Date; text: string } {
  const c = manifest.find((x) => x.case === name);
  if (!c) throw new Error(`no fixture ${name}`);
  process.env['TZ'] = c.timeZone;
  const text = readFileSync(new URL(c.file, dir), 'utf8');
  const at = new Date(c.capturedAt);
  return { sessions: parseBirdProtocols(text, at).map((f) => f.value), at, text };
}

function byName(sessions: BgpSessionValue[], name: string): BgpSessionValue {
  const s = sessions.find((x) => x.name === name);
  if (!s) throw new Error(`no session ${name} in ${sessions.map((x) => x.name).join(', ')}`);
  return s;
}

function expectSinceBefore(s: BgpSessionValue, at: Date): void {
  expect(s.since).not.toBeNull();
  const t = Date.parse(s.since ?? '');
  expect(new Date(t).toISOString()).toBe(s.since);
  expect(t).toBeLessThanOrEqual(at.getTime());
  expect(at.getTime() - t).toBeLessThan(10 * 60_000); // the labs were minutes old
}

describe('parseBirdProtocols: captured output', () => {
  it('full mesh: two BGP sessions, both established, nothing for device/kernel/static', () => {
    const { sessions, at } = capture('bird-mesh-established');
    expect(sessions.map((s) => [s.name, s.peerAddress, s.state])).toEqual([
      ['Mesh_172_20_0_12', '172.20.0.12', 'established'],
      ['Mesh_172_20_0_13', '172.20.0.13', 'established'],
    ]);
    for (const s of sessions) {
      expect(s).toMatchObject({ daemon: 'bird', peerAs: 64512, localAs: 64512, localAddress: '172.20.0.11' });
      // each node announces its one /26 block: 1 imported (accepted), 1 exported
      expect([s.prefixesReceived, s.prefixesAccepted, s.prefixesSent]).toEqual([1, 1, 1]);
      // lab timers: hold 9 s, keepalive 3 s (not the countdowns printed before the slash)
      expect([s.holdTime, s.keepalive]).toEqual([9, 3]);
      expect(s.lastError).toBeNull();
      expectSinceBefore(s, at);
    }
  });

  it('a peer whose BIRD was stopped is not established and carries the last error', () => {
    const { sessions, at } = capture('bird-peer-stopped');
    expect(sessions).toHaveLength(2);
    const stopped = byName(sessions, 'Mesh_172_20_0_12');
    expect(['active', 'connect', 'idle']).toContain(stopped.state);
    expect(stopped.lastError).toMatch(/Administrative shutdown|Connection refused/);
    expect(stopped).toMatchObject({ localAddress: null, prefixesReceived: null, prefixesSent: null, holdTime: null, keepalive: null });
    expectSinceBefore(stopped, at);
    expect(byName(sessions, 'Mesh_172_20_0_13').state).toBe('established');
  });

  it('a failed node is dropped on the hold timer; no session is established', () => {
    const { sessions } = capture('bird-peer-failed');
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.state === 'established')).toHaveLength(0);
    const failed = byName(sessions, 'Mesh_172_20_0_13');
    expect(failed.lastError).toBe('BGP Error: Hold timer expired');
    expect(['idle', 'connect', 'active']).toContain(failed.state); // Idle for BIRD's error wait, then retrying
  });

  it('route reflector: the reflector has two client sessions, a client one', () => {
    const rr = capture('bird-rr-reflector').sessions;
    expect(rr.map((s) => [s.name, s.state])).toEqual([
      ['Node_172_20_0_12', 'established'],
      ['Node_172_20_0_13', 'established'],
    ]);
    // the reflector passes each client's block to the other: 1 in, 2 out
    for (const s of rr) expect([s.prefixesReceived, s.prefixesSent]).toEqual([1, 2]);
    const client = capture('bird-rr-client').sessions;
    expect(client).toHaveLength(1);
    expect(client[0]).toMatchObject({ name: 'Node_172_20_0_11', peerAddress: '172.20.0.11', state: 'established', prefixesReceived: 2, prefixesSent: 1 });
  });

  it('two channels, a filter that keeps what it rejects, passive, connecting and disabled sessions', () => {
    const { sessions, text } = capture('bird-mixed');
    expect(text).toMatch(/Routes:\s+5 imported, 1 filtered, 2 exported/);
    expect(sessions.map((s) => [s.name, s.state])).toEqual([
      ['frr_a', 'established'],
      ['waiting', 'active'], // BGP state: Passive
      ['nobody', 'connect'],
      ['parked', 'idle'], // BGP state: Down (disabled)
    ]);
    // ipv4: 5 imported + 1 filtered, 2 exported; ipv6: 3 imported, 1 exported
    expect(byName(sessions, 'frr_a')).toMatchObject({
      peerAs: 64512,
      localAs: 64514,
      localAddress: '10.99.0.4',
      prefixesReceived: 9,
      prefixesAccepted: 8,
      prefixesSent: 3,
    });
    expect(byName(sessions, 'waiting').peerAs).toBe(64515);
  });
});

// a minimal protocol list around one BGP protocol line
function oneProtocol(since: string, state = 'Established', extra = ''): string {
  return `BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
p1         BGP        ---        up     ${since}  ${state}
  BGP state:          ${state}
    Neighbor address: 10.0.0.2
    Neighbor AS:      64512
    Local AS:         64512
${extra}  Channel ipv4
    State:          UP
    Routes:         4 imported, 2 exported, 4 preferred

`;
}

describe('parseBirdProtocols: the Since column', () => {
  const now = new Date('2026-11-23T11:50:00.000Z');
  const since = (s: string) => parseBirdProtocols(oneProtocol(s), now)[0]?.value.since;

  it('resolves a time of today against now, in local time', () => {
    expect(since('11:45:36.365')).toBe('2026-11-23T11:45:36.365Z');
    expect(since('09:05:01')).toBe('2026-11-23T09:05:01.000Z');
    process.env['TZ'] = 'Europe/Berlin'; // UTC+1 in November: 12:50 local
    expect(since('12:45:36.365')).toBe('2026-11-23T11:45:36.365Z');
  });

  it('a time later than now is yesterday (BIRD prints times for the last 20 hours)', () => {
    expect(since('23:59:00.000')).toBe('2026-11-22T23:59:00.000Z');
  });

  it('reads dates (older than 20 hours) and date-time forms', () => {
    expect(since('2026-11-01')).toBe('2026-11-01T00:00:00.000Z');
    expect(since('2026-11-01 08:09:10')).toBe('2026-11-01T08:09:10.000Z');
  });

  it('refuses a Since it cannot read', () => {
    expect(() => since('yesterday')).toThrow(/Since column "yesterday"/);
  });
});

describe('parseBirdProtocols: not BIRD output', () => {
  const now = new Date('2026-11-23T11:50:00.000Z');

  it('throws ParseError on garbage and on birdc errors', () => {
    expect(() => parseBirdProtocols('hello world\n', now)).toThrow(ParseError);
    expect(() => parseBirdProtocols('Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory\n', now)).toThrow(
      /no "Name Proto Table State Since Info" header/,
    );
    expect(() => parseBirdProtocols('', now)).toThrow(ParseError);
  });

  it('an empty protocol list is no sessions', () => {
    expect(parseBirdProtocols('BIRD 2.0.12 ready.\nName       Proto      Table      State  Since         Info\n', now)).toEqual([]);
  });

  it('throws on output cut off inside a BGP protocol', () => {
    const full = readFileSync(new URL('bird-mesh-established.txt', dir), 'utf8');
    const cutAfterState = full.slice(0, full.indexOf('Neighbor address: 172.20.0.12'));
    expect(() => parseBirdProtocols(cutAfterState, now)).toThrow(/Mesh_172_20_0_12.*without a "Neighbor address:" line/);
    const cutInChannel = full.slice(0, full.indexOf('Routes:         1 imported, 1 exported'));
    expect(() => parseBirdProtocols(cutInChannel, now)).toThrow(/channel ipv4 is up but has no "Routes:" line/);
  });

  it('throws on an unknown BGP state, naming it', () => {
    expect(() => parseBirdProtocols(oneProtocol('11:45:36.365', 'Dancing'), now)).toThrow(/unknown BGP state "Dancing"/);
  });

  it('skips a dynamic-BGP template (neighbor range, no address)', () => {
    const text = oneProtocol('11:45:36.365', 'Passive').replace('    Neighbor address: 10.0.0.2\n', '    Neighbor range:   10.0.0.0/24\n');
    expect(parseBirdProtocols(text, now)).toEqual([]);
  });

  it('rejects an invalid now', () => {
    expect(() => parseBirdProtocols(oneProtocol('11:45:36.365'), new Date('nope'))).toThrow(/now/);
  });
});
