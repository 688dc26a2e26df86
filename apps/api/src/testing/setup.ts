import { beforeAll, beforeEach } from 'vitest';

/**
 * Like beforeAll, except that when `setup` fails every test of the suite fails with its error
 * (vitest reports the tests of a suite whose beforeAll threw as skipped, and a missing database
 * must never look like a skipped test).
 */
export function setupOnce(setup: () => Promise<void>, timeout?: number): void {
  let failure: unknown;
  beforeAll(async () => {
    failure = await setup().then(
      () => undefined,
      (error: unknown) => error ?? new Error('test setup failed'),
    );
  }, timeout);
  beforeEach(() => {
    if (failure !== undefined) throw failure;
  });
}
