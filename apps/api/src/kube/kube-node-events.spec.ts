// The queue between the watcher and the history: in order, one at a time, retried in place while
// the database fails, and sent live only once recorded.
import type { NodeEvent, NodeStatus } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import type { KubeEventWriter, RecordedEvent } from './kube-event-writer.js';
import { KubeNodeEvents } from './kube-node-events.js';
import type { KubeChange, KubeNode } from './kube-types.js';
import type { KubeWatcher, NodeListener, NodesListedListener } from './kube-watcher.js';

const logger = { log: () => undefined, warn: () => undefined };
const node = (name: string): KubeNode => ({ name, internalIPs: [], podCIDRs: [], ready: true, labels: {}, resourceVersion: '1' });

function fakeWatcher() {
  const nodeListeners: NodeListener[] = [];
  const listed: NodesListedListener[] = [];
  const watcher = {
    onNode: (l: NodeListener) => (nodeListeners.push(l), () => nodeListeners.splice(nodeListeners.indexOf(l), 1)),
    onNodesListed: (l: NodesListedListener) => (listed.push(l), () => listed.splice(listed.indexOf(l), 1)),
  };
  return {
    watcher: watcher as unknown as KubeWatcher,
    emit: (change: KubeChange, n: KubeNode) => nodeListeners.forEach((l) => l(change, n, null)),
    list: (nodes: KubeNode[], first: boolean) => listed.forEach((l) => l(nodes, first)),
    listeners: () => nodeListeners.length + listed.length,
  };
}

const recorded = (name: string, type: NodeEvent['type'], status: NodeStatus): RecordedEvent[] => [
  { event: { id: '1', node: name, type, at: new Date().toISOString(), detail: {} }, status },
];

describe('KubeNodeEvents', () => {
  it('records changes in order, retries a failing write in place, and sends only what was recorded', async () => {
    const calls: string[] = [];
    let failuresLeft = 2;
    const writer = {
      added: async (n: KubeNode) => {
        calls.push(`added ${n.name}`);
        if (n.name === 'b' && failuresLeft-- > 0) throw new Error('database down');
        return recorded(n.name, 'k8s_added', 'pending');
      },
      deleted: async (n: KubeNode) => {
        calls.push(`deleted ${n.name}`);
        return recorded(n.name, 'k8s_deleted', 'left');
      },
      absent: async (names: readonly string[]) => {
        calls.push(`absent ${names.join(',')}`);
        return [];
      },
    } as unknown as KubeEventWriter;
    const sent: string[] = [];
    const live = { nodeEvent: (e: NodeEvent, status: NodeStatus) => sent.push(`${e.type} ${e.node} ${status}`) };
    const w = fakeWatcher();
    const events = new KubeNodeEvents(w.watcher, writer, live, { retryMs: 10, maxRetryMs: 40, logger });
    events.onModuleInit();
    w.emit('added', node('a'));
    w.emit('added', node('b'));
    w.emit('modified', node('a'));
    w.emit('deleted', node('a'));
    w.list([node('b')], true);
    w.list([node('b')], false);
    await events.idle();
    expect(calls).toEqual(['added a', 'added b', 'added b', 'added b', 'deleted a', 'absent b']);
    expect(sent).toEqual(['k8s_added a pending', 'k8s_added b pending', 'k8s_deleted a left']);
    events.onModuleDestroy();
    expect(w.listeners()).toBe(0);
  });

  it('stops retrying when the API stops', async () => {
    let attempts = 0;
    const writer = {
      added: async () => {
        attempts++;
        throw new Error('database down');
      },
    } as unknown as KubeEventWriter;
    const w = fakeWatcher();
    const events = new KubeNodeEvents(w.watcher, writer, { nodeEvent: () => undefined }, { retryMs: 10_000, logger });
    events.onModuleInit();
    w.emit('added', node('a'));
    await expect.poll(() => attempts, { timeout: 5000 }).toBe(1);
    events.onModuleDestroy();
    await events.idle();
    expect(attempts).toBe(1);
  });
});
