// The lab builds everything inside its own namespaces: the root namespace's interfaces, addresses,
// routes and neighbors are the same before `up`, while the lab runs, and after `down`.
import { describe, expect, test } from 'vitest';
import { sh } from './testing/ground-truth.js';
import { inCI, lab, labPrerequisites } from './testing/lab-cli.js';

const runnable = labPrerequisites().length === 0;

async function rootNamespace(): Promise<string> {
  const links = JSON.parse(await sh('ip', ['-j', 'link', 'show'])) as { ifname: string; mtu: number; operstate: string }[];
  const addrs = await sh('ip', ['-br', 'addr', 'show']);
  const routes = await sh('ip', ['route', 'show', 'table', 'all']);
  return JSON.stringify({
    links: links.map((l) => `${l.ifname} ${l.mtu} ${l.operstate}`).sort(),
    addrs: addrs.split('\n').sort(),
    routes: routes.split('\n').sort(),
  });
}

describe.skipIf(!runnable && !inCI)('the root namespace', () => {
  test('is untouched by up, changes and down of every style', async () => {
    const before = await rootNamespace();
    for (const style of ['kube-router', 'calico', 'flannel']) {
      const name = 'troot';
      await lab(['down', '--name', name]);
      await lab(['up', '--name', name, '--style', style, '--nodes', '2', '--pods', '1']);
      await lab(['add-node', '--name', name]);
      await lab(['set-mtu', '--name', name, 'node1', 'eth0', '1400']);
      expect(await rootNamespace(), `while a ${style} lab runs`).toBe(before);
      await lab(['remove-node', '--name', name, 'node2']);
      await lab(['down', '--name', name]);
    }
    expect(await rootNamespace()).toBe(before);
  });
});
