import { describe, expect, it } from 'vitest';
import { DEFAULT_API_URL, parseCollectorArgs } from './args.js';

describe('parseCollectorArgs', () => {
  it('uses defaults with no arguments', () => {
    const options = parseCollectorArgs([]);
    expect(options).toMatchObject({ help: false, nodeName: undefined, netns: undefined });
    expect(options.apiUrl.href).toBe(new URL(DEFAULT_API_URL).href);
  });

  it('reads --help and -h', () => {
    expect(parseCollectorArgs(['--help']).help).toBe(true);
    expect(parseCollectorArgs(['-h']).help).toBe(true);
  });

  it('reads --api, --node and --netns in both spellings', () => {
    const options = parseCollectorArgs(['--api', 'http://10.0.0.1:8080/', '--node=node-2', '--netns', 'lab-n2']);
    expect(options.apiUrl.host).toBe('10.0.0.1:8080');
    expect(options.nodeName).toBe('node-2');
    expect(options.netns).toBe('lab-n2');
  });

  it.each([
    [['--bogus'], /Unknown option/],
    [['extra'], /unexpected argument: extra/],
    [['--api', 'not a url'], /--api is not a URL/],
    [['--api', 'ftp://host/'], /--api must be an http\(s\) URL/],
    [['--node='], /--node must not be empty/],
    [['--node'], /argument missing/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCollectorArgs(argv)).toThrow(message);
  });
});
