// `up --nodes 20 --pods 5` for each style: every node holds exactly the routes to the other 19,
// pods on the first and last node reach each other, and `down` removes all of it.
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Style } from './plan.js';
import { expectedMainTable } from './testing/expected.js';
import { mainTable, netnsNames, ping, podIpv4, processesMatching } from './testing/ground-truth.js';
import { inCI, lab, labPrerequisites, labStatus } from './testing/lab-cli.js';

const runnable = labPrerequisites().length === 0;

describe.skipIf(!runnable && !inCI)('20-node labs', () => {
  for (const style of ['kube-router', 'calico', 'flannel'] as Style[]) {
    test(`${style}: up --nodes 20 --pods 5 converges, routes are exact, down cleans up`, async () => {
      const name = 'tscale';
      await lab(['down', '--name', name]);
      const out = await lab(['up', '--name', name, '--style', style, '--nodes', '20', '--pods', '5']);
      expect(out.stdout).toMatch(/20 \S+ nodes, 100 pods in [\d.]+ s/);
      try {
        const s = await labStatus(name);
        expect(s.nodes).toHaveLength(20);
        for (const n of s.nodes) {
          expect(await mainTable(n.namespace), n.name).toEqual(expectedMainTable(s, n, s.nodes));
          if (style !== 'flannel') expect(n.bgpSessions.filter((x) => x.state === 'established')).toHaveLength(19);
        }
        const first = s.nodes[0]!.pods[0]!;
        const last = s.nodes[19]!.pods[4]!;
        expect(await ping(first.namespace, podIpv4(last))).toBe(true);
        expect(await ping(last.namespace, podIpv4(first))).toBe(true);
      } finally {
        await lab(['down', '--name', name]);
      }
      expect((await netnsNames()).filter((ns) => ns.startsWith(`${name}-`))).toEqual([]);
      expect(await processesMatching(`/run/netatlas-lab/${name}/`)).toEqual([]);
      expect(existsSync(`/run/netatlas-lab/${name}`)).toBe(false);
    });
  }
});
