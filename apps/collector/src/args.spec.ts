import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCollectorArgs, USAGE } from './args.js';

describe('parseCollectorArgs', () => {
  it('uses defaults', () => {
    const o = parseCollectorArgs(['--once']);
    expect(o).toMatchObject({ mode: 'once', netns: undefined, nodeName: undefined, readers: undefined, timeoutMs: 5000 });
    expect(o.pollSeconds).toEqual({ kernel: 30, bgp: 1, ipset: 5, ipvs: 10, cni: 5 });
    expect(o.cniDir).toBeUndefined();
    // the daemons' places are unset unless given: a given daemon must answer, a default one may be absent
    expect(o).toMatchObject({ birdSocket: undefined, gobgpApi: undefined, frrVtySocket: undefined });
    expect(o).toMatchObject({ api: undefined, token: undefined });
  });

  it('reads every option', () => {
    const o = parseCollectorArgs([
      '--watch', '--netns', 'lab-node1', '--node-name=n1', '--readers', 'routes, bird', '--bird-socket', '/x.ctl',
      '--gobgp-api', '127.0.0.1:50052', '--frr-vty-socket', '/run/frr1', '--timeout', '200', '--debounce', '20', '--poll-bgp', '0.5',
    ]);
    expect(o).toMatchObject({
      mode: 'watch', netns: 'lab-node1', nodeName: 'n1', readers: ['routes', 'bird'], birdSocket: '/x.ctl',
      gobgpApi: '127.0.0.1:50052', frrVtySocket: '/run/frr1', timeoutMs: 200, debounceMs: 20,
    });
    expect(o.pollSeconds.bgp).toBe(0.5);
  });

  it('reads the token from --token-file (or NETATLAS_TOKEN_FILE) at every call, and names a missing or empty file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'collector-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'first\n');
    const o = parseCollectorArgs(['--api', 'http://127.0.0.1:3000', '--token-file', file], { NETATLAS_TOKEN: 'ignored-for-the-file' });
    expect(typeof o.token).toBe('function');
    expect((o.token as () => string)()).toBe('first');
    writeFileSync(file, 'rotated');
    expect((o.token as () => string)()).toBe('rotated');
    const fromEnv = parseCollectorArgs(['--api', 'http://127.0.0.1:3000'], { NETATLAS_TOKEN_FILE: file });
    expect((fromEnv.token as () => string)()).toBe('rotated');
    expect(() => parseCollectorArgs(['--api', 'http://127.0.0.1:3000', '--token-file', join(dir, 'absent')], {})).toThrow(/--token-file .*absent: ENOENT/);
    writeFileSync(file, '  \n');
    expect(() => parseCollectorArgs(['--api', 'http://127.0.0.1:3000', '--token-file', file], {})).toThrow(/is empty/);
    expect(() => parseCollectorArgs(['--api', 'http://127.0.0.1:3000', '--token-file', file, '--token', 'x'], {})).toThrow(/choose one of --token and --token-file/);
    expect(() => parseCollectorArgs(['--token-file', file], {})).toThrow(/--token-file only applies with --api/);
  });

  it('reads --api: stream mode, token from NETATLAS_TOKEN, --token overrides', () => {
    const env = { NETATLAS_TOKEN: 'from-env' };
    expect(parseCollectorArgs(['--api', 'http://api:3000'], env)).toMatchObject({ mode: 'watch', api: 'http://api:3000', token: 'from-env' });
    expect(parseCollectorArgs(['--api=https://api.example/', '--watch', '--token', 't1'], env)).toMatchObject({
      mode: 'watch',
      api: 'https://api.example',
      token: 't1',
    });
    expect(parseCollectorArgs(['--api', 'http://127.0.0.1:3000', '--token=t2'], {})).toMatchObject({ token: 't2' });
    // without --api the token in the environment is not used, and not an error
    expect(parseCollectorArgs(['--watch'], env)).toMatchObject({ mode: 'watch', api: undefined, token: undefined });
  });

  it.each([
    [['--api', 'http://api:3000', '--once'], {}, /--api .*cannot be combined with --once/],
    [['--api', 'http://api:3000'], {}, /NETATLAS_TOKEN/],
    [['--api', 'http://api:3000'], { NETATLAS_TOKEN: '' }, /NETATLAS_TOKEN/],
    [['--api', 'api:3000', '--token', 't'], {}, /must be an http:\/\/ or https:\/\/ URL/],
    [['--api', 'not a url', '--token', 't'], {}, /is not a URL/],
    [['--api', 'http://api:3000/ingest', '--token', 't'], {}, /base URL .* without a path/],
    [['--api=', '--token', 't'], {}, /--api must not be empty/],
    [['--api', 'http://api:3000', '--token='], {}, /--token must not be empty/],
    [['--watch', '--token', 't'], {}, /--token only applies with --api/],
  ])('rejects %j (env %j)', (argv, env, message) => {
    expect(() => parseCollectorArgs(argv, env)).toThrow(message);
  });

  it('takes the daemons from NETATLAS_BIRD_SOCKET, NETATLAS_GOBGP_API and NETATLAS_FRR_VTY_SOCKET; flags win, empty is unset', () => {
    const env = { NETATLAS_BIRD_SOCKET: '/e/bird.ctl', NETATLAS_GOBGP_API: '127.0.0.1:50099', NETATLAS_FRR_VTY_SOCKET: '/e/frr' };
    expect(parseCollectorArgs(['--once'], env)).toMatchObject({ birdSocket: '/e/bird.ctl', gobgpApi: '127.0.0.1:50099', frrVtySocket: '/e/frr' });
    expect(parseCollectorArgs(['--once', '--bird-socket', '/f.ctl', '--frr-vty-socket', '/f'], env)).toMatchObject({
      birdSocket: '/f.ctl',
      gobgpApi: '127.0.0.1:50099',
      frrVtySocket: '/f',
    });
    const empty = { NETATLAS_BIRD_SOCKET: '', NETATLAS_GOBGP_API: '', NETATLAS_FRR_VTY_SOCKET: '' };
    expect(parseCollectorArgs(['--once'], empty)).toMatchObject({ birdSocket: undefined, gobgpApi: undefined, frrVtySocket: undefined });
    expect(() => parseCollectorArgs(['--once', '--frr-vty-socket='])).toThrow(/--frr-vty-socket must not be empty/);
  });

  it('takes the CNI records\' directory from --cni-dir, else NETATLAS_CNI_DIR (empty is unset), and their poll from --poll-cni', () => {
    expect(parseCollectorArgs(['--once'], { NETATLAS_CNI_DIR: '/e/cni' }).cniDir).toBe('/e/cni');
    expect(parseCollectorArgs(['--once', '--cni-dir', '/f/cni'], { NETATLAS_CNI_DIR: '/e/cni' }).cniDir).toBe('/f/cni');
    expect(parseCollectorArgs(['--once'], { NETATLAS_CNI_DIR: '' }).cniDir).toBeUndefined();
    expect(() => parseCollectorArgs(['--once', '--cni-dir='])).toThrow(/--cni-dir must not be empty/);
    expect(parseCollectorArgs(['--once', '--poll-cni', '2']).pollSeconds.cni).toBe(2);
    expect(() => parseCollectorArgs(['--once', '--poll-cni', '0'])).toThrow(/--poll-cni must be a positive number/);
  });

  it('describes --api and --token in the usage', () => {
    expect(USAGE).toMatch(/--api <url>/);
    expect(USAGE).toMatch(/--token <token>.*NETATLAS_TOKEN/);
  });

  it('reads --help and -h', () => {
    expect(parseCollectorArgs(['--help']).help).toBe(true);
    expect(parseCollectorArgs(['-h']).help).toBe(true);
  });

  it.each([
    [['--bogus'], /Unknown option/],
    [['extra'], /unexpected argument: extra/],
    [['--once', '--watch'], /choose one/],
    [['--netns', 'a b'], /not a namespace name/],
    [['--node-name='], /--node-name must not be empty/],
    [['--timeout', '0'], /--timeout must be a positive number/],
    [['--poll-bgp', 'soon'], /--poll-bgp must be a positive number/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCollectorArgs(argv)).toThrow(message);
  });
});
