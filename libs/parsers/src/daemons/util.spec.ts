// Helpers shared by the daemon parsers: prefixes, next hops, and JSON documents printed back to back.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { announcedNexthop, ipPrefix, splitJsonDocuments } from './util.js';

const read = (name: string) => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');

describe('splitJsonDocuments', () => {
  it('splits what `vtysh -c A -c B` prints: two captured answers back to back', () => {
    const a = read('frr-lab-mesh');
    const b = read('frr-origins-mixed');
    expect(splitJsonDocuments('vtysh', `${a}${b}`)).toEqual([a.trim(), b.trim()]);
    expect(splitJsonDocuments('vtysh', `{}\n{\n  "warning":"Default BGP instance not found"\n}\n`)).toEqual([
      '{}',
      '{\n  "warning":"Default BGP instance not found"\n}',
    ]);
  });

  it('braces inside strings and escaped quotes do not count', () => {
    expect(splitJsonDocuments('t', '{"a":"}{\\"]"} [1,{"b":[2]}]')).toEqual(['{"a":"}{\\"]"}', '[1,{"b":[2]}]']);
    expect(splitJsonDocuments('t', '  \n')).toEqual([]);
  });

  it('refuses text between documents, unbalanced and cut-off output', () => {
    expect(() => splitJsonDocuments('t', '{}\n% Unknown command: show bgp x\n{}')).toThrow(ParseError);
    expect(() => splitJsonDocuments('t', '{"a":1}}')).toThrow(/unbalanced/);
    expect(() => splitJsonDocuments('t', '{"a":{"b":1}')).toThrow(/cut off/);
  });
});

describe('ipPrefix and announcedNexthop', () => {
  it('canonical prefixes of both families; nothing else', () => {
    expect(ipPrefix('10.48.0.64/26')).toEqual({ family: 'inet', prefix: '10.48.0.64/26' });
    expect(ipPrefix('FD48:0:0:40:0:0:0:0/122')).toEqual({ family: 'inet6', prefix: 'fd48:0:0:40::/122' });
    for (const bad of ['10.48.0.64', '10.48.0.256/24', '10.0.0.0/33', 'fd48::/129', '1:2 10.0.0.0/8', 'x/1']) expect(ipPrefix(bad), bad).toBeNull();
  });

  it('the unspecified address says nothing', () => {
    expect([announcedNexthop('0.0.0.0'), announcedNexthop('::'), announcedNexthop(''), announcedNexthop(undefined)]).toEqual([null, null, null, null]);
    expect([announcedNexthop('172.20.0.11'), announcedNexthop('FD98:0::1')]).toEqual(['172.20.0.11', 'fd98::1']);
  });
});
