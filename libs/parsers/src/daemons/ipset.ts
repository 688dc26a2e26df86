// `ipset save` (ipset 7.x, every set) → ipset and ipsetMember facts.
//
//   create NAME TYPE [family inet|inet6] [OPTION [VALUE]]…
//   add NAME ELEMENT [timeout N] [packets N bytes N] [comment "…"] [skbmark …] [nomatch] …
//
// Set: `family` becomes the family field (null for types without one, e.g. list:set, bitmap:port);
// every other create option goes into header as ipset prints it: numbers as numbers (hashsize,
// maxelem, timeout, bucketsize, size, …), flag options (counters, comment, skbinfo, forceadd, …) as
// true, other values as text (range 10.0.0.0-10.0.0.255, netmask, markmask); the random
// initval seed is dropped.
//
// Member: element as printed (10.0.0.0/24, 10.96.0.1,tcp:443, fd00::1, 10.0.0.0/24,eth0, a set
// name for list:set). timeout: 0 for `timeout 0` (never expires); a member that does expire carries
// the set's configured timeout, not the remaining countdown ipset prints (a countdown is not
// state); null when the set has no timeout. comment: unquoted, or null. Packet and byte counters
// are not state and are dropped.
//
// Not in the schema (yet): a member's `nomatch` flag is kept by suffixing the element
// (`10.0.0.0/24 nomatch`, as ipset itself writes it), and skbinfo values (skbmark, skbprio,
// skbqueue) are dropped.
import { makeFact, type Fact, type IpsetMemberValue, type IpsetValue } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';
import { lines as splitLines, preview } from './util.js';

const SOURCE = 'ipset save';

/** create options that take no value */
const FLAG_OPTIONS = new Set(['counters', 'comment', 'skbinfo', 'forceadd', 'nomatch']);
/** member options: name → whether it takes a value */
const MEMBER_OPTIONS: Readonly<Record<string, boolean>> = {
  timeout: true,
  packets: true,
  bytes: true,
  comment: true,
  skbmark: true,
  skbprio: true,
  skbqueue: true,
  nomatch: false,
};

/** Splits a line into words; "…" (a comment) is one word, without its quotes. */
function words(line: string, lineNo: number): { text: string; quoted: boolean }[] {
  const out: { text: string; quoted: boolean }[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(line)) !== null) {
    if (m[2] !== undefined && m[2].includes('"')) {
      throw new ParseError(SOURCE, `line ${lineNo}: unbalanced quote: ${preview(line)}`);
    }
    out.push(m[1] !== undefined ? { text: m[1], quoted: true } : { text: m[2] ?? '', quoted: false });
    last = re.lastIndex;
  }
  if (line.slice(last).includes('"')) throw new ParseError(SOURCE, `line ${lineNo}: unbalanced quote: ${preview(line)}`);
  return out;
}

interface SetInfo {
  value: IpsetValue;
  timeout: number | null;
}

function parseCreate(ws: string[], lineNo: number): SetInfo {
  const [name, type, ...opts] = ws;
  if (name === undefined || type === undefined) {
    throw new ParseError(SOURCE, `line ${lineNo}: "create" needs a set name and a type`);
  }
  if (!/^(hash|bitmap|list):[a-z,]+$/.test(type)) {
    throw new ParseError(SOURCE, `line ${lineNo}: set ${name} has an unknown type ${JSON.stringify(type)}`);
  }
  let family: IpsetValue['family'] = null;
  const header: IpsetValue['header'] = {};
  for (let i = 0; i < opts.length; i++) {
    const opt = opts[i] ?? '';
    if (FLAG_OPTIONS.has(opt)) {
      header[opt] = true;
      continue;
    }
    const v = opts[i + 1];
    if (v === undefined) throw new ParseError(SOURCE, `line ${lineNo}: set ${name}: option ${opt} has no value`);
    i++;
    if (opt === 'family') {
      if (v !== 'inet' && v !== 'inet6') throw new ParseError(SOURCE, `line ${lineNo}: set ${name}: unknown family ${v}`);
      family = v;
    } else if (opt !== 'initval') header[opt] = /^\d+$/.test(v) ? Number(v) : v;
    // initval is a random hash seed, new every time a set is made (kube-router remakes and swaps
    // its sets on every sync): not state, so it is left out of the fact.
  }
  const t = header['timeout'];
  return { value: { name, type, family, header }, timeout: typeof t === 'number' ? t : null };
}

function parseAdd(
  ws: { text: string; quoted: boolean }[],
  sets: Map<string, SetInfo>,
  lineNo: number,
): IpsetMemberValue {
  const [setWord, elementWord, ...rest] = ws;
  if (setWord === undefined || elementWord === undefined) {
    throw new ParseError(SOURCE, `line ${lineNo}: "add" needs a set name and an element`);
  }
  const set = sets.get(setWord.text);
  if (set === undefined) throw new ParseError(SOURCE, `line ${lineNo}: member of set ${setWord.text}, which was not created before`);
  let timeout: number | null = set.timeout;
  let comment: string | null = null;
  let nomatch = false;
  for (let i = 0; i < rest.length; i++) {
    const opt = rest[i]?.text ?? '';
    const takesValue = MEMBER_OPTIONS[opt];
    if (takesValue === undefined) {
      throw new ParseError(SOURCE, `line ${lineNo}: unknown member option ${JSON.stringify(opt)} in set ${setWord.text}`);
    }
    if (!takesValue) {
      nomatch = true;
      continue;
    }
    const v = rest[i + 1];
    if (v === undefined) throw new ParseError(SOURCE, `line ${lineNo}: member option ${opt} has no value`);
    i++;
    if (opt === 'timeout') {
      if (!/^\d+$/.test(v.text)) throw new ParseError(SOURCE, `line ${lineNo}: timeout is not a number: ${v.text}`);
      if (set.timeout === null) throw new ParseError(SOURCE, `line ${lineNo}: member with a timeout in set ${setWord.text}, created without one`);
      // 0 never expires; otherwise the set's configured timeout (what ipset prints is the countdown)
      timeout = Number(v.text) === 0 ? 0 : set.timeout;
    } else if (opt === 'comment') {
      if (!v.quoted) throw new ParseError(SOURCE, `line ${lineNo}: comment is not quoted: ${v.text}`);
      comment = v.text;
    }
  }
  return { set: setWord.text, element: nomatch ? `${elementWord.text} nomatch` : elementWord.text, timeout, comment };
}

/** Parses `ipset save` (every set; `ipset save NAME` for one reads the same). Empty output: no sets. */
export function parseIpsetSave(text: string): Fact[] {
  const sets = new Map<string, SetInfo>();
  const facts: Fact[] = [];
  splitLines(text).forEach((line, i) => {
    const lineNo = i + 1;
    if (line.trim() === '') return;
    const ws = words(line, lineNo);
    const [verb, ...rest] = ws;
    if (verb?.text === 'create') {
      const info = parseCreate(rest.map((w) => w.text), lineNo);
      if (sets.has(info.value.name)) throw new ParseError(SOURCE, `line ${lineNo}: set ${info.value.name} is created twice`);
      sets.set(info.value.name, info);
      facts.push(makeFact('ipset', info.value));
    } else if (verb?.text === 'add') {
      facts.push(makeFact('ipsetMember', parseAdd(rest, sets, lineNo)));
    } else {
      throw new ParseError(SOURCE, `line ${lineNo}: expected "create" or "add", not ${preview(line)}`);
    }
  });
  return facts;
}
