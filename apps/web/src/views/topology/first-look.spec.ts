import { describe, expect, it } from 'vitest';
import { dismissIntro, firstLookOf, INTRO_KEY, introShown, type IntroStorage } from './first-look.js';

class MemoryStorage implements IntroStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('the first look', () => {
  const live = { live: true, synthetic: false, ready: true };

  it('is shown live with no host or one, not from two on', () => {
    expect(firstLookOf({ ...live, hosts: 0 })).toBe('empty');
    expect(firstLookOf({ ...live, hosts: 1 })).toBe('one');
    expect(firstLookOf({ ...live, hosts: 2 })).toBe('none');
    expect(firstLookOf({ ...live, hosts: 200 })).toBe('none');
  });

  it('is not shown before the API answered, at a past moment or comparing, nor on a synthetic cluster', () => {
    expect(firstLookOf({ ...live, ready: false, hosts: 0 })).toBe('none');
    expect(firstLookOf({ ...live, live: false, hosts: 0 })).toBe('none');
    expect(firstLookOf({ ...live, synthetic: true, hosts: 0 })).toBe('none');
  });

  it('the legend is shown until dismissed, then never again in that browser', () => {
    const storage = new MemoryStorage();
    expect(introShown(storage)).toBe(true);
    dismissIntro(storage);
    expect(storage.items.get(INTRO_KEY)).toBe('1');
    expect(introShown(storage)).toBe(false);
    expect(introShown(new MemoryStorage())).toBe(true);
  });

  it('a storage that throws shows the legend and takes the dismissal without failing', () => {
    const broken: IntroStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    expect(introShown(broken)).toBe(true);
    expect(() => dismissIntro(broken)).not.toThrow();
    expect(introShown(null)).toBe(true);
  });
});
