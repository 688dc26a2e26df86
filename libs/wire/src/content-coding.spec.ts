import { describe, expect, it } from 'vitest';
import { takesGzip } from './content-coding.js';

describe('takesGzip', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['GZIP, deflate, br', true],
    ['deflate, br', false],
    ['*', true],
    ['gzip;q=0', false],
    ['gzip; q=0.5', true],
    ['br, gzip;q=0, *;q=0.1', false],
    ['br, *;q=0.1', true],
    ['*;q=0, gzip', true],
    ['identity', false],
  ])('Accept-Encoding %j: %s', (header, takes) => {
    expect(takesGzip(header)).toBe(takes);
  });
});
