// A traced path on the topology (`#/topology?src=…&dst=…`): the trace at the time control's moment,
// followed live like the Trace view's, as outlines for the painter (hosts and pods on the path, the
// host where a branch failed in red) and a banner saying the verdict, with links to the Trace view
// and to clear it.
import { formatHash, withParams, type AppRoute } from '../../state/route.js';
import { fill, h } from '../../ui/dom.js';
import { failureBox } from '../../ui/failure.js';
import { TraceFollower } from '../trace/trace-follower.js';
import { branchDelivered, DST_PARAM, pathHighlight, RESULT_TITLES, SRC_PARAM, traceRoute, type PathHighlight } from '../trace/trace-model.js';
import type { ViewContext } from '../view.js';

export class TraceOverlay {
  readonly element = h('div', { class: 'trace-banner', 'data-testid': 'topology-trace', hidden: true });
  /** what the painter outlines (null: no trace, or none answered yet) */
  highlight: PathHighlight | null = null;
  private readonly follower: TraceFollower;
  private route: AppRoute | null = null;

  constructor(
    private readonly ctx: ViewContext,
    private readonly onChange: () => void,
  ) {
    this.follower = new TraceFollower(ctx.rest, ctx.store, () => this.changed());
  }

  update(route: AppRoute): void {
    this.route = route;
    const src = route.params.get(SRC_PARAM) ?? '';
    const dst = route.params.get(DST_PARAM) ?? '';
    this.follower.follow(src !== '' && dst !== '' ? { src, dst, time: route.time } : null);
  }

  destroy(): void {
    this.follower.destroy();
  }

  /** How a host is on the path: `failed` (a branch ended there), `hop`, or null. */
  hostMark(name: string): 'failed' | 'hop' | null {
    const hl = this.highlight;
    if (!hl) return null;
    return hl.failed.has(`host:${name}`) ? 'failed' : hl.hosts.has(name) ? 'hop' : null;
  }

  private changed(): void {
    const f = this.follower;
    const req = f.current;
    this.highlight = f.result ? pathHighlight(f.result) : null;
    this.element.hidden = req === null;
    if (req === null || this.route === null) {
      fill(this.element);
      this.onChange();
      return;
    }
    const route = this.route;
    const open = traceRoute(route.time, req.src, req.dst);
    const link = h('a', { href: formatHash(open), 'data-testid': 'topology-trace-open', onclick: (e: MouseEvent) => (e.preventDefault(), this.ctx.navigate(open)) }, 'Open in Trace →');
    const clear = h('button', { type: 'button', class: 'link', 'aria-label': 'clear the path', onclick: () => this.ctx.navigate(withParams(route, { [SRC_PARAM]: null, [DST_PARAM]: null }), true) }, '×');
    const r = f.result;
    this.element.dataset['verdict'] = r?.verdict ?? '';
    this.element.dataset['state'] = f.loading ? 'loading' : f.error ? 'error' : 'ok';
    fill(
      this.element,
      h('strong', null, 'Path '),
      `${req.src} → ${req.dst}: `,
      f.error
        ? failureBox('cannot trace', f.error)
        : r
          ? h('span', { class: `verdict-${r.verdict}` }, `${RESULT_TITLES[r.verdict]}${r.verdict === 'delivered' ? '' : ` — ${r.branches.find((b) => !branchDelivered(b))?.reason ?? ''}`}`)
          : h('span', { class: 'muted' }, 'tracing…'),
      ' ',
      link,
      clear,
    );
    this.onChange();
  }
}
