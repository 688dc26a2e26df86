// Values iproute2 prints the same way for routes and rules: names from its tables (rt_tables,
// rt_protos, rt_dsfield) or numbers, and addresses of one family.
import type { Entry } from './entry.js';

/** /etc/iproute2/rt_dsfield: the names iproute2 prints for these TOS/DS field values. */
const DSFIELD_NAMES: Readonly<Record<string, number>> = {
  default: 0x00,
  AF11: 0x28, AF12: 0x30, AF13: 0x38,
  AF21: 0x48, AF22: 0x50, AF23: 0x58,
  AF31: 0x68, AF32: 0x70, AF33: 0x78,
  AF41: 0x88, AF42: 0x90, AF43: 0x98,
  CS1: 0x20, CS2: 0x40, CS3: 0x60, CS4: 0x80, CS5: 0xa0, CS6: 0xc0, CS7: 0xe0,
  EF: 0xb8,
};

/** `tos`: a number, hex (`0x10`), decimal text, or its rt_dsfield name (`AF11`); absent is 0. */
export function tosOf(e: Entry): number {
  const v = e.obj['tos'];
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255) return v;
  if (typeof v === 'string') {
    const named = DSFIELD_NAMES[v];
    if (named !== undefined) return named;
    if (/^0x[0-9a-f]{1,2}$/i.test(v)) return parseInt(v.slice(2), 16);
    if (/^\d{1,3}$/.test(v) && Number(v) <= 255) return Number(v);
  }
  return e.fail(`field "tos" is not a TOS value: ${JSON.stringify(v)}`);
}

/** Table and protocol: names as printed, numbers (printed or not) as text; absent is `absent`. */
export function nameOrNumber(e: Entry, key: string, absent: string): string {
  const v = e.obj[key];
  if (v === undefined) return absent;
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return e.fail(`field "${key}" should be a name or a number but is ${JSON.stringify(v)}`);
}

export type Family = 'inet' | 'inet6';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Whether `address` is written as an address of `family` (the shape, not every octet checked). */
export function isFamily(address: string, family: Family): boolean {
  return family === 'inet' ? IPV4.test(address) : address.includes(':');
}
