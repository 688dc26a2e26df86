import { describe, expect, it } from 'vitest';
import { clipText, READER_ERROR_MAX, UNSTORABLE_TEXT } from './protocol.js';

describe('clipText', () => {
  it('leaves storable text within the limit as it is', () => {
    expect(clipText('bird: socket gone 😀', 100)).toBe('bird: socket gone 😀');
  });

  it('replaces NUL and unpaired surrogates, keeps pairs', () => {
    expect(clipText('a\u0000b\ud800c\udc00d😀', 100)).toBe('a\uFFFDb\uFFFDc\uFFFDd😀');
  });

  it('keeps the head and the tail of long text, says how much was cut, and stays within the limit', () => {
    const long = `HEAD ${'x'.repeat(50_000)} TAIL`;
    const clipped = clipText(long, READER_ERROR_MAX);
    expect(clipped.length).toBeLessThanOrEqual(READER_ERROR_MAX);
    expect(clipped.startsWith('HEAD ')).toBe(true);
    expect(clipped.endsWith(' TAIL')).toBe(true);
    expect(clipped).toMatch(/… \[\d+ characters cut\] …/);
  });

  it('never splits a surrogate pair where it cuts', () => {
    for (let n = 1990; n < 2010; n++) {
      const clipped = clipText('😀'.repeat(n), READER_ERROR_MAX);
      expect(UNSTORABLE_TEXT.test(clipped)).toBe(false);
      expect(clipped.length).toBeLessThanOrEqual(READER_ERROR_MAX);
    }
  });
});
