// What the bench installs in the page (page.addInitScript) before the app starts: a
// MutationObserver on the topology canvas's measurement attributes (topology-view.ts sets
// `data-draws` at the end of every draw, `data-patches` / `data-patch-ms` / `data-patch-apply-ms`
// at the end of the draw that first shows a live patch), so every draw and every patch is
// timestamped in the page's own clock without polling (and the start of the animation frame after
// it: by then Chromium has committed and rasterized that draw), and an optional requestAnimationFrame
// counter. `probe` runs in the browser: it must not refer to anything outside itself.

export interface PatchRecord {
  /** epoch ms (performance.timeOrigin + now) at the end of the draw that showed it */
  at: number;
  /** epoch ms when the next animation frame began: that draw had been committed (rasterized) by then */
  shownAt: number | null;
  /** count of live patches drawn so far */
  count: number;
  /** the patch's arrival in the view → end of that draw */
  ms: number;
  /** of which applying it to the scene (and the view's bookkeeping) */
  applyMs: number;
  /** of which the painter */
  drawMs: number;
}

export interface FirstFull {
  /** epoch ms at the end of the first draw that showed every host */
  at: number;
  /** epoch ms when the next animation frame began (that draw was on its way to the screen) */
  shownAt: number | null;
  /** the same, in ms since the page's navigation started (performance.now()) */
  sinceNavigation: number;
  drawMs: number;
  patchMs: number;
  patchApplyMs: number;
  draws: number;
}

export interface PageRecorder {
  expectedHosts: number;
  firstFull: FirstFull | null;
  /** performance.now() at the end of each draw since the last reset */
  draws: number[];
  /** the painter's own time of each of those draws (data-draw-ms) */
  drawMs: number[];
  patches: PatchRecord[];
  /** requestAnimationFrame timestamps while `rafOn` */
  raf: number[];
  rafOn: boolean;
  drawCount: number;
}

declare global {
  interface Window {
    __bench?: PageRecorder;
  }
}

export function probe(expectedHosts: number): void {
  const b: PageRecorder = { expectedHosts, firstFull: null, draws: [], drawMs: [], patches: [], raf: [], rafOn: false, drawCount: 0 };
  window.__bench = b;
  const num = (el: HTMLElement, key: string) => Number(el.dataset[key] ?? NaN);
  new MutationObserver((records) => {
    const now = performance.now();
    for (const r of records) {
      const el = r.target as HTMLElement;
      if (r.attributeName === 'data-draws') {
        b.drawCount++;
        b.draws.push(now);
        b.drawMs.push(num(el, 'drawMs'));
        if (b.firstFull === null && num(el, 'hostsDrawn') >= b.expectedHosts && el.dataset['patches'] !== undefined) {
          const first: FirstFull = {
            at: performance.timeOrigin + now,
            shownAt: null,
            sinceNavigation: now,
            drawMs: num(el, 'drawMs'),
            patchMs: num(el, 'patchMs'),
            patchApplyMs: num(el, 'patchApplyMs'),
            draws: b.drawCount,
          };
          b.firstFull = first;
          requestAnimationFrame(() => (first.shownAt = performance.timeOrigin + performance.now()));
        }
      } else if (r.attributeName === 'data-patches') {
        const record: PatchRecord = {
          at: performance.timeOrigin + now,
          shownAt: null,
          count: num(el, 'patches'),
          ms: num(el, 'patchMs'),
          applyMs: num(el, 'patchApplyMs'),
          drawMs: num(el, 'drawMs'),
        };
        b.patches.push(record);
        requestAnimationFrame(() => (record.shownAt = performance.timeOrigin + performance.now()));
      }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-draws', 'data-patches'] });
}

/** Starts a fresh measurement window: clears the draw and frame records, counts animation frames. */
export function resetWindow(): number {
  const b = window.__bench!;
  b.draws = [];
  b.drawMs = [];
  b.raf = [];
  b.rafOn = true;
  const tick = (t: number) => {
    if (!b.rafOn) return;
    b.raf.push(t);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return performance.now();
}

/** Ends the window: what was drawn and how many frames the page produced in it. */
export function endWindow(): { end: number; draws: number[]; drawMs: number[]; raf: number[] } {
  const b = window.__bench!;
  b.rafOn = false;
  return { end: performance.now(), draws: b.draws, drawMs: b.drawMs, raf: b.raf };
}
