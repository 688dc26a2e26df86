// The turns of large messages: one reads at a time, the others wait in order and go when the slot
// frees (its message answered, or its connection gone); a connection already in goes on.
import { describe, expect, it } from 'vitest';
import { LargeMessageGate } from './large-message-gate.js';

describe('LargeMessageGate', () => {
  it('lets one in at a time and the waiting go in the order they came', () => {
    const gate = new LargeMessageGate(1);
    const went: string[] = [];
    expect(gate.enter('a', () => went.push('a'))).toBe(true);
    expect(gate.enter('b', () => went.push('b'))).toBe(false);
    expect(gate.enter('c', () => went.push('c'))).toBe(false);
    expect(gate.enter('a', () => went.push('a again'))).toBe(true); // already in
    expect(gate.enter('b', () => went.push('b twice'))).toBe(false); // waits once
    expect(gate.queued).toBe(2);
    gate.leave('a');
    expect(went).toEqual(['b']);
    gate.leave('c'); // gone while waiting: never called
    gate.leave('b');
    expect(went).toEqual(['b']);
    expect(gate.queued).toBe(0);
    expect(gate.enter('d', () => went.push('d'))).toBe(true);
  });

  it('does not let a newcomer pass those waiting', () => {
    const gate = new LargeMessageGate(2);
    expect(gate.enter('a', () => undefined)).toBe(true);
    expect(gate.enter('b', () => undefined)).toBe(true);
    expect(gate.enter('c', () => undefined)).toBe(false);
    gate.leave('x'); // a connection that never entered: nothing changes
    expect(gate.queued).toBe(1);
    gate.leave('a');
    expect(gate.queued).toBe(0);
    expect(gate.enter('d', () => undefined)).toBe(false);
  });
});
