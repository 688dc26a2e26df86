// Every fixture in fixtures/captures.json — captured from the real daemons by
// tools/fixtures/capture-daemons.ts, except the IPVS ones, which are hand-written (this kernel has
// no IPVS) — parses, yields schema-valid facts with unique keys, and equals its golden.
import { readFileSync } from 'node:fs';
import { FactSchema } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCapture, type CaptureParser } from './capture.js';

const dir = new URL('./fixtures/', import.meta.url);

interface Capture {
  case: string;
  file: string;
  parser: CaptureParser;
  capturedAt: string;
  timeZone: string;
  handwritten?: boolean;
}

const captures = (JSON.parse(readFileSync(new URL('captures.json', dir), 'utf8')) as { captures: Capture[] }).captures;
const savedTz = process.env['TZ'];
afterAll(() => {
  if (savedTz === undefined) delete process.env['TZ'];
  else process.env['TZ'] = savedTz;
});

function parse(c: Capture, text: string): unknown[] {
  // BIRD prints local times: read them in the time zone they were captured in
  process.env['TZ'] = c.timeZone;
  return parseCapture(c.parser, text, c.capturedAt);
}

describe('daemon fixtures', () => {
  it('lists every fixture file, and only the IPVS ones are hand-written', () => {
    expect(captures.length).toBeGreaterThanOrEqual(18);
    for (const c of captures) {
      expect(c.handwritten === true, c.case).toBe(c.parser === 'ipvsadm' || c.parser === 'proc-ip-vs');
      expect(c.case.endsWith('-handwritten'), c.case).toBe(c.handwritten === true);
    }
  });

  for (const c of captures) {
    it(`${c.case}: parses to schema-valid facts with unique keys, equal to the golden`, () => {
      const facts = parse(c, readFileSync(new URL(c.file, dir), 'utf8'));
      const golden = JSON.parse(readFileSync(new URL(`${c.case}.expected.json`, dir), 'utf8')) as unknown[];
      const parsed = facts.map((f) => FactSchema.parse(f));
      const ids = parsed.map((f) => `${f.kind}|${f.key}`);
      expect(new Set(ids).size).toBe(ids.length);
      expect(facts).toEqual(golden);
    });
  }
});
