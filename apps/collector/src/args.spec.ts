import { describe, expect, it } from 'vitest';
import { parseCollectorArgs } from './args.js';

describe('parseCollectorArgs', () => {
  it('uses defaults', () => {
    const o = parseCollectorArgs(['--once']);
    expect(o).toMatchObject({ mode: 'once', netns: undefined, nodeName: undefined, readers: undefined, timeoutMs: 5000 });
    expect(o.pollSeconds).toEqual({ kernel: 30, bgp: 2, ipset: 5, ipvs: 10 });
    expect(o.gobgpApi).toBe('127.0.0.1:50051');
  });

  it('reads every option', () => {
    const o = parseCollectorArgs([
      '--watch', '--netns', 'lab-node1', '--node-name=n1', '--readers', 'routes, bird', '--bird-socket', '/x.ctl',
      '--gobgp-api', '127.0.0.1:50052', '--timeout', '200', '--debounce', '20', '--poll-bgp', '0.5',
    ]);
    expect(o).toMatchObject({
      mode: 'watch', netns: 'lab-node1', nodeName: 'n1', readers: ['routes', 'bird'], birdSocket: '/x.ctl',
      gobgpApi: '127.0.0.1:50052', timeoutMs: 200, debounceMs: 20,
    });
    expect(o.pollSeconds.bgp).toBe(0.5);
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
