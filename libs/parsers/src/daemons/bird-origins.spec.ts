// planBirdOrigins / parseBirdOrigins against birdc's answers captured from BIRD 2.0.12 in lab
// clusters (mesh, route reflector, mixed daemons, no session up) and in a namespace peering with
// FRR (several blocks, IPv6); see captures.json. Plus hand-made edge cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import type { BirdOriginsCapture } from './capture.js';
import { birdOriginsNeedStatics, parseBirdOrigins, planBirdOrigins } from './index.js';

const dir = new URL('./fixtures/', import.meta.url);
const capture = (name: string): BirdOriginsCapture => JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as BirdOriginsCapture;
const origins = (c: BirdOriginsCapture) => parseBirdOrigins(c.outputs).map((f) => f.value);
const prefixes = (c: BirdOriginsCapture) => origins(c).map((o) => o.prefix).sort();

describe('planBirdOrigins: which BGP protocols to ask', () => {
  it('a full mesh: one established protocol stands for all (one template, one filter)', () => {
    const c = capture('bird-origins-mesh');
    expect(planBirdOrigins(c.outputs.protocols)).toEqual(['Mesh_172_20_0_12']);
    expect(c.commands).toEqual([
      'birdc -s <socket> show protocols all',
      'birdc -s <socket> show route export Mesh_172_20_0_12 where source != RTS_BGP',
    ]);
  });

  it('no session established: none to ask, so the static routes are needed', () => {
    const c = capture('bird-origins-no-session');
    expect(planBirdOrigins(c.outputs.protocols)).toEqual([]);
    expect(birdOriginsNeedStatics({ protocols: c.outputs.protocols, exports: {} })).toBe(true);
    expect(c.outputs.statics).toBeDefined();
  });

  it('eBGP with two channels up and three sessions down: the one up, both tables covered', () => {
    const c = capture('bird-origins-several');
    expect(planBirdOrigins(c.outputs.protocols)).toEqual(['frr_a']);
    expect(birdOriginsNeedStatics({ protocols: c.outputs.protocols, exports: c.outputs.exports })).toBe(false);
  });
});

describe('parseBirdOrigins: captured answers', () => {
  it('mesh and mixed daemons: the node\'s own block, not the blocks it learned', () => {
    for (const name of ['bird-origins-mesh', 'bird-origins-mixed']) {
      expect(origins(capture(name)), name).toEqual([{ daemon: 'bird', family: 'inet', prefix: '10.48.0.64/26', nexthop: null }]);
    }
  });

  it('a route reflector originates its own block only; its client its own', () => {
    const rr = capture('bird-origins-reflector');
    expect(prefixes(rr)).toEqual(['10.48.0.64/26']);
    // it does export the other client's block (reflected): 2 routes to Node_172_20_0_12
    expect(rr.outputs.protocols).toMatch(/Node_172_20_0_12[\s\S]*?Routes:\s+1 imported, 2 exported/);
    expect(prefixes(capture('bird-origins-rr-client'))).toEqual(['10.48.0.128/26']);
  });

  it('an answer without the BGP filter (a reflector\'s full export) still yields only non-BGP routes', () => {
    const rr = capture('bird-origins-reflector');
    const [protocol, text] = Object.entries(rr.outputs.exports)[0] ?? ['', ''];
    const reflected = `${text.trimEnd()}\n10.48.0.192/26       unicast [Node_172_20_0_13 04:34:12.800] * (100) [i]\n\tvia 172.20.0.13 on eth0\n`;
    const got = parseBirdOrigins({ protocols: rr.outputs.protocols, exports: { [protocol]: reflected } }).map((f) => f.value.prefix);
    expect(got).toEqual(['10.48.0.64/26']);
  });

  it('no session up: the block from the static protocol still counts', () => {
    expect(origins(capture('bird-origins-no-session'))).toEqual([{ daemon: 'bird', family: 'inet', prefix: '10.48.0.64/26', nexthop: null }]);
  });

  it('several blocks in both families', () => {
    const got = origins(capture('bird-origins-several'));
    expect(got.map((o) => [o.family, o.prefix]).sort()).toEqual([
      ['inet', '10.50.0.0/24'],
      ['inet', '10.50.1.0/24'],
      ['inet6', 'fd50::/64'],
    ]);
  });
});

describe('parseBirdOrigins: edge cases', () => {
  const mesh = capture('bird-origins-mesh');

  it('the asked session went down meanwhile ("No valid tables"): its table falls back to the static routes', () => {
    const exports = { Mesh_172_20_0_12: 'BIRD 2.0.12 ready.\nNo valid tables\n' };
    expect(birdOriginsNeedStatics({ protocols: mesh.outputs.protocols, exports })).toBe(true);
    const statics = capture('bird-origins-no-session').outputs.statics ?? '';
    expect(parseBirdOrigins({ protocols: mesh.outputs.protocols, exports, statics }).map((f) => f.value.prefix)).toEqual(['10.48.0.64/26']);
    // without the static routes it cannot answer: a programming error, not a parse error
    expect(() => parseBirdOrigins({ protocols: mesh.outputs.protocols, exports })).toThrow(/need the static routes/);
  });

  it('static routes of a table no BGP channel uses do not count', () => {
    const statics = 'BIRD 2.0.12 ready.\nTable master4:\n10.48.0.64/26        blackhole [static_block 04:33:47.455] * (200)\n\nTable t_other:\n10.9.0.0/16          blackhole [other 04:33:47.455] * (200)\n';
    const got = parseBirdOrigins({ protocols: capture('bird-origins-no-session').outputs.protocols, exports: {}, statics });
    expect(got.map((f) => f.value.prefix)).toEqual(['10.48.0.64/26']);
  });

  it('an empty export (nothing originated) is no origin', () => {
    expect(parseBirdOrigins({ protocols: mesh.outputs.protocols, exports: { Mesh_172_20_0_12: 'BIRD 2.0.12 ready.\n' } })).toEqual([]);
  });

  it('non-IP nets (VPN, flow) are skipped; an IP-looking net that is not a prefix is an error', () => {
    const vpn = 'BIRD 2.0.12 ready.\nTable vpntab4:\n1:2 10.0.0.0/8     unicast [static_vpn 04:33:47.455] * (200)\n';
    expect(parseBirdOrigins({ protocols: mesh.outputs.protocols, exports: { Mesh_172_20_0_12: vpn } })).toEqual([]);
    const bad = 'BIRD 2.0.12 ready.\nTable master4:\n10.48.0.300/26       blackhole [static_block 04:33:47.455] * (200)\n';
    expect(() => parseBirdOrigins({ protocols: mesh.outputs.protocols, exports: { Mesh_172_20_0_12: bad } })).toThrow(ParseError);
  });

  it('refuses text that is not a route listing, and an answer for a protocol that is not BGP', () => {
    const garbage = 'BIRD 2.0.12 ready.\nsyntax error, unexpected CF_SYM_UNDEFINED\n';
    expect(() => parseBirdOrigins({ protocols: mesh.outputs.protocols, exports: { Mesh_172_20_0_12: garbage } })).toThrow(/not a route/);
    expect(() => parseBirdOrigins({ protocols: mesh.outputs.protocols, exports: { kernel1: 'BIRD 2.0.12 ready.\n' } })).toThrow(/not a BGP protocol/);
  });
});
