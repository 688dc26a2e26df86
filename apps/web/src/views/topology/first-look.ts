/// <reference types="vite/client" />
// A guided first look at the topology: where there is little to see (live, no host or one), what
// the user can do next (start a lab, deploy collectors); and, for a first-time viewer, a short
// legend of what the picture shows, kept out of the way once dismissed (remembered in localStorage).
import { h } from '../../ui/dom.js';

/** where the README is read, when the build was told (VITE_NETATLAS_README_URL); else it is named */
const README_URL = (import.meta.env['VITE_NETATLAS_README_URL'] as string | undefined) || null;
/** the key localStorage keeps once the legend is dismissed */
export const INTRO_KEY = 'netatlas.topology-intro.dismissed';

export type FirstLook = 'none' | 'empty' | 'one';

/** The hint to show: live (not a past moment, a compare or a synthetic cluster), once the API answered, with no host or one. */
export function firstLookOf(o: { live: boolean; synthetic: boolean; ready: boolean; hosts: number }): FirstLook {
  if (!o.live || o.synthetic || !o.ready || o.hosts > 1) return 'none';
  return o.hosts === 0 ? 'empty' : 'one';
}

/** The little a Storage needs to offer (localStorage, or a test's). */
export type IntroStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** Whether the legend is shown: until dismissed once (a storage that cannot be read: shown). */
export function introShown(storage: IntroStorage | null): boolean {
  try {
    return storage?.getItem(INTRO_KEY) !== '1';
  } catch {
    return true;
  }
}

export function dismissIntro(storage: IntroStorage | null): void {
  try {
    storage?.setItem(INTRO_KEY, '1');
  } catch {
    // a storage that refuses (private mode, quota): dismissed for this page only
  }
}

const code = (s: string) => h('code', null, s);

/** A link to a section of the README when its address is known, else the section named. */
function readme(section: string, anchor: string): HTMLElement {
  if (README_URL) return h('a', { href: `${README_URL}#${anchor}`, target: '_blank', rel: 'noopener', 'data-testid': 'first-look-readme' }, `README → ${section}`);
  return h('span', { 'data-testid': 'first-look-readme' }, 'the section ', h('strong', null, section), ' of ', code('README.md'), ' in the netatlas sources');
}

/** The panel for an empty or single-host install. */
export function firstLookPanel(look: Exclude<FirstLook, 'none'>): HTMLElement {
  return h(
    'div',
    { class: 'first-look', 'data-testid': 'first-look', 'data-look': look },
    h('h3', null, look === 'empty' ? 'No nodes yet' : 'One node so far'),
    h(
      'p',
      null,
      look === 'empty'
        ? 'netatlas draws what its collectors report, one collector per node, and none has connected to this API yet.'
        : 'netatlas draws what its collectors report, one collector per node: the sessions and routes between nodes appear once a second one connects.',
    ),
    h(
      'ul',
      null,
      h('li', null, h('strong', null, 'Try it on a lab: '), code('npm start -- --lab kube-router'), ' (three nodes with pods and BGP; root and the lab’s Debian packages), then e.g. ', code('npm run lab -- stop-bgp node2 --name demo'), '.'),
      h('li', null, h('strong', null, 'Watch your cluster: '), 'run a collector on each node (a DaemonSet on Kubernetes, or docker compose); see ', readme('Deploy', 'deploy'), '.'),
    ),
  );
}

/** The dismissible "what am I looking at" legend. */
export function introLegend(onDismiss: () => void): HTMLElement {
  return h(
    'aside',
    { class: 'topology-intro', 'data-testid': 'topology-intro', 'aria-label': 'what am I looking at' },
    h('h3', null, 'What am I looking at?'),
    h(
      'ul',
      null,
      h('li', null, 'Each box is a node as its collector sees it: its bridge, and under it a veth and its pod per pod.'),
      h('li', null, 'Arcs between nodes are BGP sessions (green: established, amber: connecting, red: down) and routes to other nodes’ pods (blue; orange, dashed: via the wrong node).'),
      h('li', null, 'A red border or a red badge marks trouble: the badge counts the node’s findings (routes or sets that are not what they should be); the Alerts tab says why.'),
      h('li', null, 'Scroll to zoom, drag to pan, click for details, double-click a node for everything it reports. The time control above shows the past.'),
    ),
    h('button', { type: 'button', 'data-testid': 'topology-intro-dismiss', onclick: onDismiss }, 'Got it'),
  );
}
