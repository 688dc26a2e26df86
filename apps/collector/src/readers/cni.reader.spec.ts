// The cni reader with the real grep over CNI records on disk (a temporary directory laid out as
// /var/lib/cni: host-local's networks/, libcni's results/): what it reads, what a node without
// records, with one of the two, or with empty ones reports, and a pod's records coming and going.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FactOf } from '@netatlas/wire/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Collector } from '../collector.js';
import { SystemRunner } from '../runner.js';
import { cniReader } from './cni.reader.js';

/** A result cached by libcni, as the lab's (and the kernel fixtures') real plugin runs wrote one. */
const LAB_RESULT = readFileSync(new URL('../../../../libs/parsers/src/kernel/fixtures/kube-router/cni.txt', import.meta.url), 'utf8')
  .split('\n')
  .find((l) => l.includes('/results/'))!
  .split('\u0000')[1]!;
const labResult = JSON.parse(LAB_RESULT) as { containerId: string; networkName: string; result: { ips: { address: string }[]; interfaces: { name: string }[] } };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'netatlas-cni-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function collector(): Collector {
  return new Collector({
    nodeName: 'n1', runner: new SystemRunner(), readers: [cniReader], options: { cniDir: dir }, timeoutMs: 5000,
    host: { hostname: 'h', kernel: 'k', bootId: 'b' }, now: () => new Date(0),
  });
}

const cniFacts = (facts: { kind: string }[]) => facts.filter((f): f is FactOf<'cniAddr'> => f.kind === 'cniAddr');

function writePod(id: string, ip: string, veth: string): void {
  mkdirSync(join(dir, 'networks', 'mynet'), { recursive: true });
  mkdirSync(join(dir, 'results'), { recursive: true });
  writeFileSync(join(dir, 'networks', 'mynet', ip), `${id}\r\neth0`);
  const cached = { ...JSON.parse(LAB_RESULT), containerId: id, result: { ...labResult.result, interfaces: [{ name: 'kube-bridge' }, { name: veth }, { name: 'eth0', sandbox: '/run/netns/x' }], ips: [{ address: `${ip}/24`, interface: 2 }] } };
  writeFileSync(join(dir, 'results', `mynet-${id}-eth0`), JSON.stringify(cached));
}

describe('cni reader', () => {
  it('a node with neither directory: missing, naming where it looked', async () => {
    const c = collector();
    await c.start();
    expect(c.readerStatuses()['cni']).toEqual({ status: 'missing', error: `no CNI records on this node: neither ${dir}/networks nor ${dir}/results exists` });
  });

  it('empty directories (only host-local\'s empty lock): ok, no facts', async () => {
    mkdirSync(join(dir, 'networks', 'mynet'), { recursive: true });
    writeFileSync(join(dir, 'networks', 'mynet', 'lock'), '');
    mkdirSync(join(dir, 'results'));
    const c = collector();
    expect(cniFacts((await c.start()).upserts)).toEqual([]);
    expect(c.readerStatuses()['cni']).toEqual({ status: 'ok', error: null });
  });

  it('only results/ (a runtime\'s cache, an IPAM that keeps no files): ok, the results read', async () => {
    mkdirSync(join(dir, 'results'));
    writeFileSync(join(dir, 'results', `${labResult.networkName}-${labResult.containerId}-eth0`), LAB_RESULT);
    const c = collector();
    const facts = cniFacts((await c.start()).upserts);
    expect(c.readerStatuses()['cni']?.status).toBe('ok');
    expect(facts.map((f) => f.value.address)).toEqual([labResult.result.ips[0]!.address.split('/')[0]]);
    expect(facts[0]?.value.recordedBy).toEqual(['result']);
  });

  it('a pod made and deleted: its address comes with both records, and goes with them', async () => {
    writePod('a'.repeat(64), '10.233.1.2', 'veth00000001');
    const c = collector();
    const first = cniFacts((await c.start()).upserts);
    expect(first.map((f) => [f.value.address, f.value.hostIfnames, f.value.recordedBy])).toEqual([['10.233.1.2', ['kube-bridge', 'veth00000001'], ['host-local', 'result']]]);
    writePod('b'.repeat(64), '10.233.1.3', 'veth00000002');
    const added = await c.refresh(['cni']);
    expect(cniFacts(added.upserts).map((f) => f.value.address)).toEqual(['10.233.1.3']);
    rmSync(join(dir, 'networks', 'mynet', '10.233.1.2'));
    rmSync(join(dir, 'results', `mynet-${'a'.repeat(64)}-eth0`));
    const removed = await c.refresh(['cni']);
    expect(removed.deletes.map((d) => d.key)).toEqual([`mynet|10.233.1.2|${'a'.repeat(64)}`]);
    expect(removed.upserts).toEqual([]);
  });

  it('is re-read when a link comes or goes (a new pod\'s veth), and polled in its own group', () => {
    expect(cniReader.triggers).toEqual(['link']);
    expect(cniReader.pollGroup).toBe('cni');
  });
});
