// The rules and sysctls readers through the Collector, their tools answering with output captured
// from the real ones (libs/parsers kernel fixtures) through a scripted runner: the commands they
// run, the deltas a change gives, what they are re-read on, and a missing tool or a failed read
// costing that reader only.
import { readFileSync } from 'node:fs';
import type { Fact } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { Collector } from '../collector.js';
import { CommandFailedError, ToolMissingError, type Runner } from '../runner.js';
import { linksReader } from './links.reader.js';
import { ALL_READERS } from './registry.js';
import type { Reader } from './reader.js';
import { rulesReader } from './rules.reader.js';
import { sysctlsReader } from './sysctls.reader.js';

const FIXTURES = new URL('../../../../libs/parsers/src/kernel/fixtures/', import.meta.url);
const fixture = (caseName: string, file: string) => readFileSync(new URL(`${caseName}/${file}`, FIXTURES), 'utf8');

type Answer = string | Error;

class ScriptedRunner implements Runner {
  readonly where = 'scripted';
  tools = new Set(['ip', 'grep']);
  calls: string[] = [];
  constructor(public answer: (tool: string, args: string[]) => Answer) {}
  available(tool: string): boolean {
    return this.tools.has(tool);
  }
  async run(tool: string, args: string[]): Promise<string> {
    this.calls.push([tool, ...args].join(' '));
    if (!this.tools.has(tool)) throw new ToolMissingError(tool);
    const a = this.answer(tool, args);
    if (a instanceof Error) throw a;
    return a;
  }
  async readFile(): Promise<string> {
    throw new Error('not read');
  }
}

/** The captured `case` answering every kernel command the readers run. */
function kernelAnswers(caseName: string, sysctl = () => fixture(caseName, 'sysctl.txt')): (tool: string, args: string[]) => Answer {
  return (tool, args) => {
    const cmd = [tool, ...args].join(' ');
    if (cmd === 'ip -details -json -4 rule show') return fixture(caseName, 'rule-inet.json');
    if (cmd === 'ip -details -json -6 rule show') return fixture(caseName, 'rule-inet6.json');
    if (cmd === 'ip -json -details link show') return fixture(caseName, 'link.json');
    if (tool === 'grep') return sysctl();
    return new Error(`unexpected ${cmd}`);
  };
}

function collector(runner: Runner, readers: Reader[]): Collector {
  return new Collector({
    nodeName: 'n1', runner, readers, options: {}, timeoutMs: 1000,
    host: { hostname: 'h', kernel: 'k', bootId: 'b' }, now: () => new Date(0),
  });
}

const kinds = (facts: Fact[], kind: Fact['kind']) => facts.filter((f) => f.kind === kind);

describe('rules reader', () => {
  it('reads both families with -details, every rule a fact', async () => {
    const runner = new ScriptedRunner(kernelAnswers('rules'));
    const c = collector(runner, [rulesReader]);
    const first = await c.start();
    expect(runner.calls.sort()).toEqual(['ip -details -json -4 rule show', 'ip -details -json -6 rule show']);
    const rules = kinds(first.upserts, 'rule');
    const raw = JSON.parse(fixture('rules', 'rule-inet.json')).length + JSON.parse(fixture('rules', 'rule-inet6.json')).length;
    expect(rules).toHaveLength(raw);
    expect(rules.map((f) => f.key)).toContain('inet6|32766|from all lookup main proto kernel');
    expect(c.readerStatuses()['rules']).toEqual({ status: 'ok', error: null });
  });

  it('is re-read on rule events and on link events (a rule naming an interface detaches unannounced)', () => {
    const c = collector(new ScriptedRunner(kernelAnswers('rules')), [...ALL_READERS]);
    expect(c.readersTriggeredBy('rule')).toEqual(['rules']);
    expect(c.readersTriggeredBy('link')).toEqual(expect.arrayContaining(['rules', 'sysctls']));
    expect(c.readersTriggeredBy('netconf')).toEqual(['sysctls']);
    expect(rulesReader.pollGroup).toBe('kernel');
    expect(sysctlsReader.pollGroup).toBe('kernel');
  });

  it('an interface that comes back attaches its rule: an update of the same key', async () => {
    let rules = fixture('rules', 'rule-inet.json');
    const c = collector(new ScriptedRunner((tool, args) => (args.includes('-4') ? rules : kernelAnswers('rules')(tool, args))), [rulesReader]);
    await c.start();
    rules = rules.replace('"iif":"gone0","iif_detached":null,', '"iif":"gone0",');
    const delta = await c.refresh(['rules']);
    expect(delta.deletes).toEqual([]);
    expect(delta.upserts.filter((f) => f.kind === 'rule').map((f) => [f.key, (f.value as { iifDetached: boolean }).iifDetached])).toEqual([
      ['inet|111|from all iif gone0 lookup 110 proto unspec', false],
    ]);
  });
});

describe('sysctls reader', () => {
  it('runs one grep over /proc/sys/net/ipv{4,6}/conf, one fact per interface', async () => {
    const runner = new ScriptedRunner(kernelAnswers('sysctl'));
    const c = collector(runner, [sysctlsReader]);
    const first = await c.start();
    expect(runner.calls).toEqual([
      'grep -r -H -s --include=forwarding --include=rp_filter --include=proxy_arp --include=proxy_ndp . /proc/sys/net/ipv4/conf /proc/sys/net/ipv6/conf',
    ]);
    expect(kinds(first.upserts, 'sysctl').map((f) => f.key)).toEqual(['all', 'default', 'eth0', 'eth1', 'flannel.1', 'late0', 'late1', 'lo', 'small0', 'small1']);
  });

  it('a changed setting is one upsert of its interface; an interface gone is one delete, one come is one upsert', async () => {
    let text = fixture('sysctl', 'sysctl.txt');
    const c = collector(new ScriptedRunner(kernelAnswers('sysctl', () => text)), [sysctlsReader]);
    await c.start();
    text = text.replace('/proc/sys/net/ipv4/conf/eth0/rp_filter:1', '/proc/sys/net/ipv4/conf/eth0/rp_filter:2');
    let delta = await c.refresh(['sysctls']);
    expect(delta.deletes).toEqual([]);
    expect(kinds(delta.upserts, 'sysctl')).toEqual([
      { kind: 'sysctl', key: 'eth0', value: { name: 'eth0', ipv4: { forwarding: 1, rpFilter: 2, proxyArp: 1 }, ipv6: { forwarding: 1, proxyNdp: 1 } } },
    ]);
    text = text.split('\n').filter((l) => !l.includes('/late1/')).join('\n').replace(/\/late0\//g, '/veth9/');
    delta = await c.refresh(['sysctls']);
    expect(delta.deletes.sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual([{ kind: 'sysctl', key: 'late0' }, { kind: 'sysctl', key: 'late1' }]);
    expect(kinds(delta.upserts, 'sysctl').map((f) => f.key)).toEqual(['veth9']);
  });

  it('grep exiting 2 with output (IPv6 off, an interface gone mid-read) is a read, not a failure', async () => {
    const v4only = fixture('sysctl', 'sysctl.txt').split('\n').filter((l) => !l.includes('/ipv6/')).join('\n');
    const c = collector(new ScriptedRunner(() => new CommandFailedError('grep', { code: 2, stdout: v4only, stderr: '' })), [sysctlsReader]);
    const first = await c.start();
    expect(c.readerStatuses()['sysctls']).toEqual({ status: 'ok', error: null });
    expect(kinds(first.upserts, 'sysctl').every((f) => (f.value as { ipv6: unknown }).ipv6 === null)).toBe(true);
  });

  it('grep failing without output is a failure; unparseable output keeps the last facts', async () => {
    let answer: Answer = fixture('sysctl', 'sysctl.txt');
    const c = collector(new ScriptedRunner(() => answer), [sysctlsReader]);
    await c.start();
    answer = new CommandFailedError('grep', { code: 2, stdout: '', stderr: '' });
    expect(await c.refresh(['sysctls'])).toMatchObject({ deletes: [] });
    expect(c.readerStatuses()['sysctls']?.status).toBe('failed');
    answer = 'net.ipv4.conf.all.forwarding = 1\n';
    expect(await c.refresh(['sysctls'])).toMatchObject({ deletes: [] });
    expect(c.readerStatuses()['sysctls']).toMatchObject({ status: 'unparseable', error: expect.stringMatching(/line 1 is not/) });
    expect(c.snapshot().facts.filter((f) => f.kind === 'sysctl')).toHaveLength(10);
  });
});

describe('a missing tool disables that reader only', () => {
  it('no grep: sysctls is missing, rules and links are read', async () => {
    const runner = new ScriptedRunner(kernelAnswers('rules'));
    runner.tools.delete('grep');
    const c = collector(runner, [linksReader, rulesReader, sysctlsReader]);
    const first = await c.start();
    expect(c.readerStatuses()).toEqual({
      links: { status: 'ok', error: null },
      rules: { status: 'ok', error: null },
      sysctls: { status: 'missing', error: 'grep is not installed (not found on PATH)' },
    });
    expect(kinds(first.upserts, 'rule').length).toBeGreaterThan(0);
    expect(kinds(first.upserts, 'link').length).toBeGreaterThan(0);
    expect(kinds(first.upserts, 'sysctl')).toEqual([]);
  });

  it('ip printing something else: rules is unparseable, naming the command', async () => {
    const c = collector(new ScriptedRunner((tool, args) => (tool === 'ip' && args.includes('rule') ? '0:\tfrom all lookup local\n' : kernelAnswers('rules')(tool, args))), [rulesReader, sysctlsReader]);
    await c.start();
    expect(c.readerStatuses()['rules']).toMatchObject({ status: 'unparseable', error: expect.stringMatching(/^ip -details -json -[46] rule show: output is not valid JSON/) });
    expect(c.readerStatuses()['sysctls']?.status).toBe('ok');
  });
});
