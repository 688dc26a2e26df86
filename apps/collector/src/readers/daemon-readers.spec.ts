// The BGP daemon readers through the Collector, each daemon answering with output captured from the
// real one (libs/parsers fixtures) through a scripted runner: sessions and origins from one poll;
// a configured daemon that is absent is `failed` naming its path, never `missing`; one that answered
// and stopped is `failed` ("stopped answering …") and its facts go; one never seen and not
// configured is `missing`; a transient failure (unparseable output, a time-out) keeps the facts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Delta, Fact } from '@netatlas/wire/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../collector.js';
import { CommandFailedError, CommandTimeoutError, ToolMissingError, type Runner } from '../runner.js';
import { createBirdReader } from './bird.reader.js';
import { createFrrReader } from './frr.reader.js';
import { gobgpReader } from './gobgp.reader.js';
import type { Reader, ReaderOptions } from './reader.js';

const FIXTURES = new URL('../../../../libs/parsers/src/daemons/fixtures/', import.meta.url);
const fixture = (file: string) => readFileSync(new URL(file, FIXTURES), 'utf8');
const birdOrigins = JSON.parse(fixture('bird-origins-mesh.json')) as { outputs: { protocols: string; exports: Record<string, string> } };

/** /proc/net/tcp with something listening on 127.0.0.1:50051 (0xC383). */
const TCP_LISTEN_50051 =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 0100007F:C383 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n';
const TCP_NOTHING = TCP_LISTEN_50051.split('\n')[0] + '\n';

type Answer = string | Error;

/** A runner whose tools answer as the test says: `answer(tool, args)`. */
class ScriptedRunner implements Runner {
  readonly where = 'scripted';
  tools = new Set(['birdc', 'gobgp', 'vtysh']);
  tcp = TCP_LISTEN_50051;
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
    return this.tcp;
  }
}

const refused = (tool: string, stderr: string) => new CommandFailedError(tool, { code: 1, stdout: '', stderr });

function birdAnswers(_tool: string, args: string[]): Answer {
  const cmd = args.slice(2).join(' ');
  if (cmd === 'show protocols all') return fixture('bird-mesh-established.txt');
  if (cmd.startsWith('show route export ')) return birdOrigins.outputs.exports[args[5] ?? ''] ?? 'BIRD 2.0.12 ready.\nNo valid tables\n';
  return new Error(`unexpected birdc ${cmd}`);
}

function gobgpAnswers(_tool: string, args: string[]): Answer {
  const cmd = args.slice(4).join(' ');
  if (cmd === 'neighbor -j') return fixture('gobgp-mesh-established.json');
  if (cmd === 'global rib -a ipv4 -j') return fixture('gobgp-origins-kube-router.json');
  if (cmd === 'global rib -a ipv6 -j') return fixture('gobgp-origins-empty.json');
  return new Error(`unexpected gobgp ${cmd}`);
}

/** One vtysh, two commands: their answers printed back to back. */
function frrAnswers(_tool: string, args: string[]): Answer {
  const cmds = args.filter((_, i) => args[i - 1] === '-c');
  if (cmds.join(' | ') === 'show bgp summary json | show bgp all json') return fixture('frr-lab-mesh.json') + fixture('frr-origins-mixed.json');
  return new Error(`unexpected vtysh ${args.join(' ')}`);
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'daemon-readers-'));
  dirs.push(d);
  return d;
}

let clock = Date.parse('2026-12-06T10:00:00.000Z');
function collector(reader: Reader, runner: Runner, options: ReaderOptions = {}): Collector {
  return new Collector({
    nodeName: 'n1',
    runner,
    readers: [reader],
    options,
    timeoutMs: 1000,
    now: () => new Date((clock += 1000)),
    host: { hostname: 'n1', kernel: 'test', bootId: 'b' },
  });
}

const facts = (c: Collector, kind: Fact['kind']) => c.snapshot().facts.filter((f) => f.kind === kind);
const status = (c: Collector, reader: string) => c.readerStatuses()[reader];
const deleted = (d: Delta, kind: Fact['kind']) => d.deletes.filter((x) => x.kind === kind).length;

interface Daemon {
  reader: string;
  make: (auto: string) => Reader;
  /** the configured form: the flag's option, and a place that exists with the daemon in it */
  configured: (place: string) => ReaderOptions;
  /** create the daemon's socket (or directory) at `place`; returns what the reader looks at */
  install: (place: string) => string;
  answers: (tool: string, args: string[]) => Answer;
  /** what its client says when the daemon behind the socket is gone */
  goneError: Error;
  sessions: number;
  origin: string;
}

const DAEMONS: Daemon[] = [
  {
    reader: 'bird',
    make: (auto) => createBirdReader([auto]),
    configured: (place) => ({ birdSocket: place }),
    install: (place) => (writeFileSync(place, ''), place),
    answers: birdAnswers,
    goneError: refused('birdc', 'Unable to connect to server control socket (/x/bird.ctl): Connection refused'),
    sessions: 2,
    origin: 'bird|10.48.0.64/26',
  },
  {
    reader: 'frr',
    make: (auto) => createFrrReader(auto),
    configured: (place) => ({ frrVtySocket: place }),
    install: (place) => (mkdirSync(place, { recursive: true }), writeFileSync(join(place, 'bgpd.vty'), ''), place),
    answers: frrAnswers,
    goneError: refused('vtysh', 'Exiting: failed to connect to any daemons.'),
    sessions: 2,
    origin: 'frr|10.48.0.192/26',
  },
];

for (const d of DAEMONS) {
  describe(`${d.reader} reader`, () => {
    it('one poll reads the sessions and what the daemon originates', async () => {
      const place = join(scratch(), 'daemon');
      const runner = new ScriptedRunner(d.answers);
      const c = collector(d.make('/nonexistent'), runner, d.configured(d.install(place)));
      await c.start();
      expect(status(c, d.reader)).toEqual({ status: 'ok', error: null });
      expect(facts(c, 'bgpSession')).toHaveLength(d.sessions);
      expect(facts(c, 'bgpOrigin').map((f) => f.key)).toEqual([d.origin]);
    });

    it('configured but absent: failed, naming the path, never missing', async () => {
      const place = join(scratch(), 'not-there');
      const c = collector(d.make('/nonexistent'), new ScriptedRunner(d.answers), d.configured(place));
      await c.start();
      expect(status(c, d.reader)?.status).toBe('failed');
      expect(status(c, d.reader)?.error).toContain(place);
      expect(status(c, d.reader)?.error).toMatch(/no such (file|directory) — is (BIRD|FRR) running\?/);
    });

    it('configured, answering, then not (a stale socket): failed, and its sessions and origins go', async () => {
      const place = d.install(join(scratch(), 'daemon'));
      const runner = new ScriptedRunner(d.answers);
      const c = collector(d.make('/nonexistent'), runner, d.configured(place));
      await c.start();
      runner.answer = () => d.goneError;
      const delta = await c.refresh([d.reader]);
      expect(status(c, d.reader)?.status).toBe('failed');
      expect(status(c, d.reader)?.error).toContain(place);
      expect(deleted(delta, 'bgpSession')).toBe(d.sessions);
      expect(deleted(delta, 'bgpOrigin')).toBe(1);
      expect(facts(c, 'bgpSession')).toEqual([]);
    });

    it('auto-detected, never seen: missing', async () => {
      const c = collector(d.make(join(scratch(), 'nothing-here')), new ScriptedRunner(d.answers));
      await c.start();
      expect(status(c, d.reader)?.status).toBe('missing');
    });

    it('auto-detected, answered, then gone: failed "stopped answering … (it answered until T)", facts gone', async () => {
      const place = d.install(join(scratch(), 'daemon'));
      const c = collector(d.make(place), new ScriptedRunner(d.answers));
      await c.start();
      expect(status(c, d.reader)?.status).toBe('ok');
      rmSync(place, { recursive: true, force: true });
      const delta = await c.refresh([d.reader]);
      const s = status(c, d.reader);
      expect(s?.status).toBe('failed');
      expect(s?.error).toMatch(new RegExp(`(BIRD|FRR) stopped answering at ${place} \\(it answered until 2026-12-06T\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\)`));
      expect(deleted(delta, 'bgpSession')).toBe(d.sessions);
      expect(deleted(delta, 'bgpOrigin')).toBe(1);
    });

    it('a transient failure (output it cannot parse, a time-out) keeps the last facts', async () => {
      const place = d.install(join(scratch(), 'daemon'));
      const runner = new ScriptedRunner(d.answers);
      const c = collector(d.make('/nonexistent'), runner, d.configured(place));
      await c.start();
      runner.answer = () => '%%% not what the daemon prints {{{';
      let delta = await c.refresh([d.reader]);
      expect(status(c, d.reader)?.status).toBe('unparseable');
      expect(delta.deletes).toEqual([]);
      runner.answer = (tool) => new CommandTimeoutError(tool, 1000, '');
      delta = await c.refresh([d.reader]);
      expect(status(c, d.reader)?.status).toBe('timeout');
      expect(delta.deletes).toEqual([]);
      expect(facts(c, 'bgpSession')).toHaveLength(d.sessions);
    });

    it('configured but its client is not installed: failed, not missing', async () => {
      const place = d.install(join(scratch(), 'daemon'));
      const runner = new ScriptedRunner(d.answers);
      runner.tools.clear();
      const c = collector(d.make('/nonexistent'), runner, d.configured(place));
      await c.start();
      expect(status(c, d.reader)?.status).toBe('failed');
      expect(status(c, d.reader)?.error).toMatch(/is not installed .* cannot be read/);
    });
  });
}

describe('gobgp reader', () => {
  it('one poll: sessions, and the local paths of both families', async () => {
    const runner = new ScriptedRunner(gobgpAnswers);
    const c = collector(gobgpReader, runner, { gobgpApi: '127.0.0.1:50051' });
    await c.start();
    expect(status(c, 'gobgp')).toEqual({ status: 'ok', error: null });
    expect(facts(c, 'bgpSession')).toHaveLength(2);
    expect(facts(c, 'bgpOrigin').map((f) => f.key)).toEqual(['gobgp|10.233.1.0/24']);
    expect(runner.calls.filter((x) => x.includes('global rib'))).toEqual([
      'gobgp -u 127.0.0.1 -p 50051 global rib -a ipv4 -j',
      'gobgp -u 127.0.0.1 -p 50051 global rib -a ipv6 -j',
    ]);
  });

  it('configured and nothing listens: failed, naming the address', async () => {
    const runner = new ScriptedRunner(gobgpAnswers);
    runner.tcp = TCP_NOTHING;
    const c = collector(gobgpReader, runner, { gobgpApi: '127.0.0.1:50051' });
    await c.start();
    expect(status(c, 'gobgp')).toEqual({ status: 'failed', error: 'GoBGP API 127.0.0.1:50051: nothing listens on port 50051 — is GoBGP running?' });
  });

  it('the default address, never seen: missing; seen, then gone: failed and its facts go', async () => {
    const runner = new ScriptedRunner(gobgpAnswers);
    runner.tcp = TCP_NOTHING;
    const c = collector(gobgpReader, runner);
    await c.start();
    expect(status(c, 'gobgp')?.status).toBe('missing');
    runner.tcp = TCP_LISTEN_50051;
    await c.refresh(['gobgp']);
    expect(status(c, 'gobgp')?.status).toBe('ok');
    runner.answer = () => refused('gobgp', 'rpc error: code = Unavailable desc = connection error: connection refused');
    const delta = await c.refresh(['gobgp']);
    expect(status(c, 'gobgp')?.status).toBe('failed');
    expect(status(c, 'gobgp')?.error).toMatch(/^GoBGP stopped answering at 127\.0\.0\.1:50051 \(it answered until 2026-/);
    expect(deleted(delta, 'bgpSession')).toBe(2);
    expect(deleted(delta, 'bgpOrigin')).toBe(1);
  });
});
