// The fault matrix's CI subset (`npm run bench:faults` runs all of it): the shape where the first
// round's judgments failed worst — a Calico route reflector with its clients — healthy, then its
// reflector's BIRD stopped and a client's uplink pulled, with the rules' own `for`. Every expected alert fires under its
// expected root, nothing else fires, every root names its evidence.
import { inCI, labPrerequisites, shapeNamed } from '@netatlas/lab-testing';
import { describe, expect, it } from 'vitest';
import { report, runShape, totals } from '../testing/fault-runner.js';

const missing = labPrerequisites();

describe.skipIf(missing.length > 0 && !inCI)('the fault matrix on a Calico route reflector (CI subset)', () => {
  it('healthy: nothing; reflector stopped and a client uplink down: exactly the expected roots and symptoms', async () => {
    if (missing.length > 0) throw new Error(`this test needs ${missing.join(', ')}`);
    const log = (line: string) => process.stderr.write(`[fault-matrix] ${line}\n`);
    // each rule's own `for`, as users run it (and as the full matrix's figures are taken): with a
    // shorter one the seconds a restarted BIRD needs to redial fire as well (true, but transient)
    const results = await runShape(shapeNamed('calico-rr'), 'fmci', { forMs: null, healthyMs: 15_000, settleMs: 4000, faults: ['daemon-stop', 'link-down'], log });
    process.stdout.write(`${report(results)}\n`);
    const t = totals(results);
    expect(results.map((r) => r.fault)).toEqual(['healthy', 'daemon-stop', 'link-down']);
    expect(results[0]?.findings).toBe(0);
    expect(t.falseAlerts, report(results)).toBe(0);
    expect(t.missed, report(results)).toBe(0);
    expect(t.noEvidence).toBe(0);
    expect(t.expected).toBeGreaterThan(20);
  }, 600_000);
});
