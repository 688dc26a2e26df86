// `ip -json -details link show` → link facts.
import { makeFact, type FactOf, type LinkValue } from '@netatlas/wire/core';
import { readEntries, type Entry } from './entry.js';

export const LINKS_SOURCE = 'ip -json -details link show';

/** iproute2 prints `any` for an unset ipip endpoint. */
function endpoint(e: Entry, key: string): string | null {
  const v = e.optStr(key);
  return v === null || v === 'any' ? null : v;
}

function vxlanOf(data: Entry): NonNullable<LinkValue['vxlan']> {
  return {
    id: data.int('id'),
    local: data.optStr('local') ?? data.optStr('local6'),
    // a unicast peer prints as remote, a multicast one as group (IPv6: remote6 / group6)
    remote: data.optStr('remote') ?? data.optStr('group') ?? data.optStr('remote6') ?? data.optStr('group6'),
    port: data.optInt('port'),
    dev: data.optStr('link'),
    // the kernel's default; iproute2 before JSON support only printed `nolearning`
    learning: data.optBool('learning') ?? true,
  };
}

function linkOf(e: Entry): LinkValue {
  const ifname = e.str('ifname');
  // -details is what makes linkinfo (the kind) appear; without it every veth would look like a NIC.
  if (!e.has('promiscuity')) e.fail('no "promiscuity" field: this is not `ip -details` output');
  const linkType = e.str('link_type');
  const info = e.optObj('linkinfo');
  const infoKind = info?.optStr('info_kind') ?? null;
  const kind = infoKind ?? (linkType === 'loopback' ? 'loopback' : 'device');
  const data = info?.optObj('info_data') ?? null;
  if (kind === 'vxlan' && data === null) e.fail('vxlan link without linkinfo.info_data');
  return {
    ifname,
    ifindex: e.int('ifindex'),
    kind,
    mtu: e.int('mtu'),
    mac: linkType === 'ether' ? e.optStr('address') : null,
    operstate: e.str('operstate'),
    flags: e.strArray('flags'),
    master: e.optStr('master'),
    // `"link": null` is iproute2's `@NONE` (a tunnel with no lower device)
    link: e.optStr('link'),
    linkIndex: e.optInt('link_index'),
    linkNetnsId: e.optInt('link_netnsid'),
    vxlan: kind === 'vxlan' && data !== null ? vxlanOf(data) : null,
    ipip: kind === 'ipip' ? { local: data ? endpoint(data, 'local') : null, remote: data ? endpoint(data, 'remote') : null } : null,
  };
}

/** Parses `ip -json -details link show`. Throws ParseError when the text is not that. */
export function parseLinks(text: string): FactOf<'link'>[] {
  return readEntries(LINKS_SOURCE, text).map((e) => makeFact('link', linkOf(e)));
}
