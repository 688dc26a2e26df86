import { describe, expect, it } from 'vitest';
import { parseIpJson } from './index.js';

// Shape of `ip -json link show` from iproute2 6.1, trimmed to one device.
const ipLinkShow = `[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00"}]
`;

describe('parseIpJson', () => {
  it('returns the array of objects from ip -json output', () => {
    const rows = parseIpJson(ipLinkShow);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ifname: 'lo', mtu: 65536 });
  });

  it('returns an empty array for an empty table', () => {
    expect(parseIpJson('[]\n')).toEqual([]);
  });

  it('throws a clear error on text that is not JSON', () => {
    expect(() => parseIpJson('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536')).toThrow(/not valid JSON/);
    expect(() => parseIpJson('')).toThrow(/not valid JSON/);
  });

  it('throws a clear error on JSON that is not an array', () => {
    expect(() => parseIpJson('{"ifname":"lo"}')).toThrow(/not a JSON array \(got object\)/);
    expect(() => parseIpJson('null')).toThrow(/not a JSON array \(got null\)/);
  });
});
