// npm run bench:web [-- --hosts 200 --pods 50 --form auto --runs 3 --patches 10 --seconds 3 --sweep 200,400,600,800,1000 --no-sweep --no-mesh --no-gzip --build --profile]
//
// The built web app in headless Chromium (playwright-core, Debian's /usr/bin/chromium) against a
// test double of the API (bench-server.ts: the app's files, the REST answers it asks for at
// startup and the real socket.io /live namespace) holding a synthetic N×M kube-router cluster
// (src/testing/synthetic-topology.ts: hosts, a kube-bridge, a veth and a pod per pod, an iBGP full
// mesh and a route to every other host), in the wire form the API would send it (--form: auto is
// `full` up to 40 hosts and `compact` from 41 on, as the API's NETATLAS_TOPOLOGY_COMPACT_FROM; the
// compact form leaves the healthy host-to-host edges out and counts them in each host node's
// `data.relations`, generated directly, so 5000 hosts take seconds; the page fetches the full
// edges of the hosts in focus from /api/topology/edges). /api/topology is gzipped (level 1, as the
// API) unless --no-gzip. Prints, against the targets (issue 18: 1000 hosts: first render < 2 s, pan
// ≥ 30 fps, patch < 100 ms; 5000 hosts: first render < 5 s, pan ≥ 30 fps at the overview):
//   1. time to first render: page.goto('#/topology') → the animation frame after the first draw
//      that shows every host (fit to the screen), live from the bench server; --runs fresh pages
//   2. frames per second while panning (mouse drag) at the overview and zoomed in to where pods are
//      drawn, and while zooming (mouse wheel, in and out through every level of detail), holding a
//      host (so its sessions and routes are drawn; in the compact form once /api/topology/edges
//      answered): the canvas's own draws per second (data-draws),
//      p95 time between draws, the painter's time; input at a mouse's rate (Pointer)
//   3. a 100-change live patch (pods added and deleted on several hosts, a BGP session flapping,
//      patch.ts, in the held form): socket.io emit → the animation frame after the draw that shows it
//   4. a size sweep: first render and panning fps at each size, and the largest size that still
//      pans at 30 fps
// The page's timestamps (a MutationObserver on the canvas's measurement attributes, probe.ts) are
// compared with the bench's through both clocks' epoch time, with the offset between them measured.
// Other processes' CPU use during the measurements is reported (machine.ts): it makes them pessimistic.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { BenchServer, resolveForm, type ClusterSize, type FormOption } from './bench-server.js';
import { otherLoad } from './machine.js';
import { benchPatch } from './patch.js';
import { endWindow, probe, resetWindow, type FirstFull, type PatchRecord } from './probe.js';
import { fps, int, max, mb, median, min, ms, quantile, table } from './stats.js';

// ------------------------------------------------------------------ options

const OPTIONS = {
  hosts: { type: 'string', default: '200' },
  pods: { type: 'string', default: '50' },
  form: { type: 'string', default: 'auto' },
  runs: { type: 'string', default: '3' },
  patches: { type: 'string', default: '10' },
  seconds: { type: 'string', default: '3' },
  sweep: { type: 'string', default: '200,400,600,800,1000' },
  'no-sweep': { type: 'boolean', default: false },
  'no-mesh': { type: 'boolean', default: false },
  'no-gzip': { type: 'boolean', default: false },
  build: { type: 'boolean', default: false },
  headed: { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
  chromium: { type: 'string', default: process.env['NETATLAS_CHROMIUM'] ?? '/usr/bin/chromium' },
  'web-dir': { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

const { values: args } = (() => {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (error) {
    process.stderr.write(`bench:web: ${(error as Error).message} (--help lists the options)\n`);
    process.exit(2);
  }
})();

if (args.help) {
  process.stdout.write(`npm run bench:web -- [options]
  --hosts N         hosts of the cluster (200)
  --pods M          pods per host (50)
  --form F          the wire form of /api/topology: auto (full up to 40 hosts, compact from 41, as the
                    API; $NETATLAS_TOPOLOGY_COMPACT_FROM moves the threshold), full (every edge: N²
                    sessions and routes) or compact (healthy host-to-host edges counted in each host
                    node's data.relations; the page fetches a focused host's from /api/topology/edges)
  --runs R          page loads for the time to first render (3)
  --patches P       100-change live patches (10)
  --seconds S       seconds of each pan / zoom measurement (3)
  --sweep A,B,…     host counts of the size sweep, M pods each, in --form (200,400,600,800,1000)
  --no-sweep        skip the size sweep (e.g. --hosts 5000 --no-sweep)
  --no-mesh         no iBGP full mesh (and no routes between hosts): the canvas without the N² edges
  --no-gzip         send /api/topology plain (the API gzips it, level 1, when the browser takes it)
  --build           build the web app first (npx nx build web); done anyway when dist/apps/web is missing
  --headed          show the browser (the figures are for headless)
  --profile         CPU-profile the page during the last first render, while applying patches,
                    panning, zooming and panning zoomed in (prints the functions with the most self
                    time; .cpuprofile files in tmp/bench/; the figures include the profiler's cost)
  --chromium PATH   the Chromium binary (/usr/bin/chromium, or $NETATLAS_CHROMIUM)
  --web-dir DIR     serve this build of the web app instead of dist/apps/web (to compare two builds)
`);
  process.exit(0);
}

function count(name: string, raw: string | undefined, least: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < least) {
    process.stderr.write(`bench:web: --${name} must be a whole number of at least ${least}, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

const HOSTS = count('hosts', args.hosts, 1);
const PODS = count('pods', args.pods, 0);
const RUNS = count('runs', args.runs, 1);
const PATCHES = count('patches', args.patches, 0);
const SECONDS = Number(args.seconds);
if (!(SECONDS > 0)) {
  process.stderr.write(`bench:web: --seconds must be a positive number, got ${JSON.stringify(args.seconds)}\n`);
  process.exit(2);
}
const MESH = !args['no-mesh'];
const FORMS: readonly FormOption[] = ['auto', 'full', 'compact'];
const FORM = args.form as FormOption;
if (!FORMS.includes(FORM)) {
  process.stderr.write(`bench:web: --form must be one of ${FORMS.join(', ')}, got ${JSON.stringify(args.form)}\n`);
  process.exit(2);
}
const GZIP = !args['no-gzip'];
const SWEEP = args['no-sweep'] ? [] : (args.sweep ?? '').split(',').filter(Boolean).map((s) => count('sweep', s.trim(), 1));
const CHROMIUM = args.chromium!;
const VIEWPORT = { width: 1600, height: 1000 };
const CORES = cpus().length;
/** the pan target, and what the sweep looks for */
const TARGET_FPS = 30;
/**
 * Issue 18's targets by size: up to 1000 hosts, first render < 2 s, every pan ≥ 30 fps, a patch
 * < 100 ms; beyond (5000 hosts), first render < 5 s and panning the overview ≥ 30 fps only.
 */
const BIG = HOSTS > 1000;
const FIRST_RENDER_TARGET_MS = BIG ? 5000 : 2000;
/** zoomed in to where every host draws its pods (level of detail "pods": 130 px wide and more) */
const PODS_SCALE = 0.6;
/** wheel events of 25 px (a trackpad's, or a smooth wheel's): d3-zoom scales by 2^(25/500) per event, so 56 ≈ ×7, from the overview to pod labels */
const ZOOM_DELTA = 25;
const ZOOM_STEPS = 56;
/** the pointer's report rate (a plain USB mouse: 125 Hz), and how many events may await Chromium's ack */
const INPUT_HZ = 120;
const INPUT_IN_FLIGHT = 4;

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WEB_DIR = args['web-dir'] ? resolve(args['web-dir']) : join(ROOT, 'dist/apps/web');
const TMP = join(ROOT, 'tmp/bench');

const started = performance.now();
const log = (line: string) => process.stdout.write(`${line}\n`);
const stamp = () => `[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
const phase = (name: string) => log(`\n${stamp()} == ${name}`);
const sleep = (t: number) => new Promise((resolve) => setTimeout(resolve, t));
/** epoch ms with sub-ms resolution: comparable with the page's performance.timeOrigin + now() */
const epoch = () => performance.timeOrigin + performance.now();
const label = (s: ClusterSize) => `${s.hosts}×${s.podsPerHost}${s.mesh ? '' : ' (no mesh)'}, ${resolveForm(s.form, s.hosts)}`;

class BenchError extends Error {}

// ------------------------------------------------------------------ prerequisites

function checkChromium(): void {
  if (existsSync(CHROMIUM)) return;
  throw new BenchError(
    `Chromium not found at ${CHROMIUM}. Install the Debian package: sudo apt-get install chromium ` +
      `(or point --chromium / $NETATLAS_CHROMIUM at a Chromium or Chrome binary).`,
  );
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (!entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function ensureBuilt(): void {
  const index = join(WEB_DIR, 'index.html');
  if (args['web-dir']) {
    if (!existsSync(index)) throw new BenchError(`--web-dir ${WEB_DIR} holds no index.html`);
    return;
  }
  if (args.build || !existsSync(index)) {
    phase(`building the web app (npx nx build web)${args.build ? '' : ': dist/apps/web/index.html is missing'}`);
    // never from Nx's cache: its input hashes can miss an edit made within the same second as another
    const result = spawnSync('npx', ['nx', 'build', 'web', '--output-style=static', '--skip-nx-cache'], { cwd: ROOT, stdio: 'inherit' });
    if (result.error) throw new BenchError(`cannot run npx nx build web: ${result.error.message}`);
    if (result.status !== 0) throw new BenchError(`npx nx build web failed (exit ${result.status}); see its output above`);
    if (!existsSync(index)) throw new BenchError(`npx nx build web left no ${index}`);
    return;
  }
  const sources = Math.max(newestMtime(join(ROOT, 'apps/web/src')), statSync(join(ROOT, 'apps/web/index.html')).mtimeMs);
  if (sources > statSync(index).mtimeMs) log(`  note: apps/web/src changed after dist/apps/web was built; pass --build to measure the current code`);
}

// ------------------------------------------------------------------ the page

interface Loaded {
  context: BrowserContext;
  page: Page;
  /** goto → the animation frame after the first draw showing every host, when it is on its way to the screen (bench clock) */
  firstRenderMs: number;
  /** goto → the end of that draw */
  firstDrawMs: number;
  first: FirstFull;
  breakdown: Breakdown;
  /** page epoch − bench epoch */
  clockOffset: number;
  errors: string[];
}

interface Breakdown {
  domContentLoaded: number;
  topologyRequested: number;
  topologyReceived: number;
  topologyBytes: number;
  /** the view got the topology (as the store's first patch) */
  viewReceived: number;
  drawn: number;
  /** the next animation frame began */
  shown: number;
}

let browser: Browser | null = null;
let server: BenchServer | null = null;

/** How far the page's epoch clock is ahead of the bench's (best of a few round trips). */
async function clockOffset(page: Page): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 7; i++) {
    const t0 = epoch();
    const p = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t1 = epoch();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: p - (t0 + t1) / 2 };
  }
  return best.offset;
}

/** What the page's own fetch of /api/topology runs into (the live store retries quietly). */
async function whyNoTopology(page: Page): Promise<string> {
  const reason = await page
    .evaluate(async () => {
      try {
        const response = await fetch('/api/topology');
        await response.json();
        return null;
      } catch (error) {
        return String(error);
      }
    })
    .catch((error: unknown) => `the page failed: ${(error as Error).message.split('\n')[0]}`);
  return reason ? `; fetching it in the page: ${reason}` : '';
}

async function openTopology(size: ClusterSize, timeoutMs: number, profileName: string | null = null): Promise<Loaded> {
  const srv = server!;
  const context = await browser!.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // failed requests are reported below, with their address
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  page.on('crash', () => errors.push('the page crashed'));
  // tsx compiles with esbuild's keepNames, which wraps named functions in __name(): make it exist in the page
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await page.addInitScript(probe, size.hosts);
  const fetchesBefore = srv.requests.get('/api/topology') ?? 0;
  // --profile: the page from before its navigation to the first draw that shows every host
  const stopProfile = profileName !== null ? await startProfile(page, profileName) : null;
  const t0 = epoch();
  try {
    await page.goto(`${srv.url}/#/topology`, { waitUntil: 'commit', timeout: timeoutMs });
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const done = await page.evaluate(() => window.__bench?.firstFull?.shownAt != null).catch(() => false);
      if (done) break;
      const fetches = (srv.requests.get('/api/topology') ?? 0) - fetchesBefore;
      // the live store retries a failed sync every 2 s: a third fetch means the first two failed
      if (fetches >= 3 || errors.some((e) => e.includes('crashed'))) throw new BenchError(`the page could not load the topology (${fetches} fetches of /api/topology${await whyNoTopology(page)})`);
      if (performance.now() > deadline) throw new BenchError(`no draw showed all ${size.hosts} hosts within ${timeoutMs / 1000} s`);
      await sleep(50);
    }
  } catch (error) {
    const state = await page
      .evaluate(() => {
        const c = document.querySelector<HTMLElement>('[data-testid=topology-canvas]');
        const s = document.querySelector<HTMLElement>('[data-testid=topology-summary]');
        return `canvas hosts drawn ${c?.dataset['hostsDrawn'] ?? '-'}, summary hosts ${s?.dataset['hosts'] ?? '-'}, status "${document.querySelector('.view-status')?.textContent ?? ''}"`;
      })
      .catch(() => 'page not readable');
    await context.close().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new BenchError(`${label(size)}: ${message}; ${state}${errors.length ? `; ${errors.slice(0, 3).join('; ')}` : ''}`);
  }
  await stopProfile?.();
  const offset = await clockOffset(page);
  const { first, breakdown } = await page.evaluate(() => {
    const b = window.__bench!;
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const topo = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((e) => e.name.includes('/api/topology'));
    const f = b.firstFull!;
    return {
      first: f,
      breakdown: {
        domContentLoaded: nav?.domContentLoadedEventEnd ?? NaN,
        topologyRequested: topo?.startTime ?? NaN,
        topologyReceived: topo?.responseEnd ?? NaN,
        topologyBytes: topo?.encodedBodySize ?? NaN,
        viewReceived: f.sinceNavigation - f.patchMs,
        drawn: f.sinceNavigation,
        shown: f.shownAt! - performance.timeOrigin,
      },
    };
  });
  return { context, page, firstRenderMs: first.shownAt! - offset - t0, firstDrawMs: first.at - offset - t0, first, breakdown, clockOffset: offset, errors };
}

// ------------------------------------------------------------------ pan and zoom

interface Motion {
  name: string;
  fps: number;
  /** p95 time between two draws */
  p95FrameMs: number;
  drawP50: number;
  drawP95: number;
  /** animation frames the page produced per second */
  rafFps: number;
  inputsPerS: number;
  /** share of the machine other processes used meanwhile (null: unknown) */
  others: number | null;
  scale: number;
  hostsDrawn: number;
}

async function canvasCenter(page: Page): Promise<{ x: number; y: number }> {
  const box = await page.getByTestId('topology-canvas').boundingBox();
  if (!box) throw new BenchError('the topology canvas is not on screen');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/**
 * A point near the canvas's centre over a host (the tooltip shows), where pan and zoom take hold: the
 * host under the pointer is in focus, so its healthy sessions and routes to every other host are drawn
 * too — the heavier and the usual case (hosts cover most of the canvas), and the same in every run.
 */
async function grabPoint(page: Page): Promise<{ x: number; y: number; host: string }> {
  const c = await canvasCenter(page);
  const mouse = await Pointer.of(page);
  // steps that are no multiple of a cell (370 × 290 world units at any scale), up to ±160 px
  for (let ring = 0; ring <= 12; ring++) {
    for (let dx = -ring; dx <= ring; dx++) {
      for (let dy = -ring; dy <= ring; dy++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
        const p = { x: c.x + dx * 13, y: c.y + dy * 11 };
        await mouse.move(p.x, p.y);
        await sleep(40);
        // the tooltip's heading: "host node007", or "pod 10.200.7.9" of a host's element
        const tip = await page.locator('.tooltip').evaluate((t: HTMLElement) => (t.hidden ? null : (t.querySelector('strong')?.textContent ?? '')));
        if (tip) return { ...p, host: tip };
      }
    }
  }
  throw new BenchError('found no host near the centre of the canvas to take hold of');
}

async function canvasState(page: Page): Promise<{ scale: number; hostsDrawn: number }> {
  return page.getByTestId('topology-canvas').evaluate((c: HTMLElement) => ({ scale: Number(c.dataset['scale']), hostsDrawn: Number(c.dataset['hostsDrawn']) }));
}

/**
 * A mouse that behaves like one: real input events through Chromium's input pipeline (CDP
 * Input.dispatchMouseEvent, which page.mouse uses underneath), sent at INPUT_HZ whatever the page is
 * doing, a few at most in flight, as a mouse reports at its own rate and Chromium coalesces what
 * arrives within one frame. (page.mouse.move waits for every event's round trip, which here capped
 * the input at ~30 events a second on a page that could draw 60 frames: it measured the driver.)
 */
class Pointer {
  private static readonly sessions = new WeakMap<Page, Promise<CDPSession>>();

  private constructor(private readonly cdp: CDPSession) {}

  static async of(page: Page): Promise<Pointer> {
    let session = Pointer.sessions.get(page);
    if (!session) Pointer.sessions.set(page, (session = page.context().newCDPSession(page)));
    return new Pointer(await session);
  }

  move(x: number, y: number, dragging = false): Promise<unknown> {
    return this.cdp.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y, button: dragging ? 'left' : 'none', buttons: dragging ? 1 : 0 });
  }

  press(x: number, y: number): Promise<unknown> {
    return this.cdp.send('Input.dispatchMouseEvent', { type: 'mousePressed', x, y, button: 'left', buttons: 1, clickCount: 1 });
  }

  release(x: number, y: number): Promise<unknown> {
    return this.cdp.send('Input.dispatchMouseEvent', { type: 'mouseReleased', x, y, button: 'left', buttons: 0, clickCount: 1 });
  }

  wheel(x: number, y: number, deltaY: number): Promise<unknown> {
    return this.cdp.send('Input.dispatchMouseEvent', { type: 'mouseWheel', x, y, deltaX: 0, deltaY });
  }

  /** Sends `event(0)`, `event(1)`, … at INPUT_HZ until `deadline` (and `more()` says stop); returns how many. */
  async paced(deadline: number, event: (i: number) => Promise<unknown>, more: (i: number) => boolean = () => false): Promise<number> {
    let i = 0;
    let inFlight = 0;
    let failure: unknown = null;
    let next = performance.now();
    while (performance.now() < deadline || more(i)) {
      while (inFlight >= INPUT_IN_FLIGHT) await sleep(1);
      if (failure) throw failure;
      inFlight++;
      event(i++).then(
        () => inFlight--,
        (error: unknown) => {
          failure ??= error;
          inFlight--;
        },
      );
      next += 1000 / INPUT_HZ;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
    while (inFlight > 0) await sleep(1);
    if (failure) throw failure;
    return i;
  }
}

/** Runs `drive` for SECONDS and counts what the page drew meanwhile. */
async function measureMotion(page: Page, name: string, drive: (deadline: number) => Promise<number>): Promise<Motion> {
  await sleep(300);
  const start = await page.evaluate(resetWindow);
  const others = otherLoad(CORES);
  const inputs = await drive(performance.now() + SECONDS * 1000);
  const othersShare = others.stop();
  const w = await page.evaluate(endWindow);
  const seconds = (w.end - start) / 1000;
  const gaps = w.draws.slice(1).map((t, i) => t - w.draws[i]!);
  const state = await canvasState(page);
  return {
    name,
    fps: w.draws.length / seconds,
    p95FrameMs: quantile(gaps, 0.95),
    drawP50: median(w.drawMs),
    drawP95: quantile(w.drawMs, 0.95),
    rafFps: w.raf.length / seconds,
    inputsPerS: inputs / seconds,
    others: othersShare,
    ...state,
  };
}

/** Drags the view back and forth around the canvas's centre (at most ~750 px/s). */
function pan(page: Page, c: { x: number; y: number }): (deadline: number) => Promise<number> {
  return async (deadline) => {
    const mouse = await Pointer.of(page);
    await mouse.move(c.x, c.y);
    await mouse.press(c.x, c.y);
    const n = await mouse.paced(deadline, (i) => mouse.move(c.x + 250 * Math.sin(i / 40), c.y + 150 * Math.sin(i / 62), true));
    // back where it started, so the next measurement sees the same picture
    await mouse.move(c.x, c.y, true);
    await mouse.release(c.x, c.y);
    return n;
  };
}

/** Wheels in ZOOM_STEPS steps and out again, over and over, at the canvas's centre (back where it started). */
function zoomInOut(page: Page, c: { x: number; y: number }): (deadline: number) => Promise<number> {
  return async (deadline) => {
    const mouse = await Pointer.of(page);
    await mouse.move(c.x, c.y);
    const zoomIn = (i: number) => Math.floor(i / ZOOM_STEPS) % 2 === 0;
    return mouse.paced(
      deadline,
      (i) => mouse.wheel(c.x, c.y, zoomIn(i) ? -ZOOM_DELTA : ZOOM_DELTA),
      (i) => i % (2 * ZOOM_STEPS) !== 0,
    );
  };
}

/** Wheels at `c` until the scale is about `target`. */
async function zoomTo(page: Page, c: { x: number; y: number }, target: number): Promise<void> {
  const mouse = await Pointer.of(page);
  await mouse.move(c.x, c.y);
  const { scale } = await canvasState(page);
  // d3-zoom scales by 2^(-deltaY / 500) per wheel event
  const steps = Math.round((Math.log2(target / scale) * 500) / 100);
  for (let i = 0; i < Math.abs(steps); i++) {
    await mouse.wheel(c.x, c.y, steps > 0 ? -100 : 100);
    await sleep(20);
  }
  await sleep(400);
}

// ------------------------------------------------------------------ CPU profile (--profile)

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

async function profiled<T>(page: Page, name: string, run: () => Promise<T>): Promise<T> {
  if (!args.profile) return run();
  const stop = await startProfile(page, name);
  const result = await run();
  await stop();
  return result;
}

/** Starts CPU-profiling the page; the function returned stops, saves and summarizes the profile. */
async function startProfile(page: Page, name: string): Promise<() => Promise<void>> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
    await cdp.detach();
    await saveProfile(name, profile);
  };
}

async function saveProfile(name: string, profile: CpuProfile): Promise<void> {
  await mkdir(TMP, { recursive: true });
  const file = join(TMP, `web-${name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  log(`${stamp()}   CPU profile of "${name}" in ${file.slice(ROOT.length)}; most self time:`);
  for (const line of topSelfTime(profile, 14)) log(`${stamp()}     ${line}`);
}

function topSelfTime(profile: CpuProfile, n: number): string[] {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const t = self.get(node.id) ?? 0;
    if (t === 0) continue;
    const f = node.callFrame;
    const file = f.url ? f.url.replace(/^.*\//, '') : '';
    const key = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}:${f.columnNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + t);
  }
  const total = [...byFunction.values()].reduce((a, b) => a + b, 0) || 1;
  return [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, t]) => `${(t / 1000).toFixed(0).padStart(6)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}`);
}

// ------------------------------------------------------------------ live patches

interface PatchResult {
  changes: number;
  /** emit → end of the draw showing it (bench clock) */
  endToEnd: number;
  /** emit → the end of the draw (the next frame not awaited) */
  toDraw: number;
  record: PatchRecord;
}

async function patches(page: Page, offset: number): Promise<PatchResult[]> {
  const srv = server!;
  const out: PatchResult[] = [];
  for (let round = 0; round < PATCHES; round++) {
    const gen = benchPatch(srv, round);
    const before = await page.evaluate(() => window.__bench!.patches.length);
    const t = epoch();
    srv.emit(gen.patch, gen.changes);
    await page.waitForFunction((n) => window.__bench!.patches[n]?.shownAt != null, before, { timeout: 30_000, polling: 10 });
    const record = await page.evaluate((n) => window.__bench!.patches[n]!, before);
    out.push({ changes: gen.count, endToEnd: record.shownAt! - offset - t, toDraw: record.at - offset - t, record });
    log(
      `${stamp()}   patch ${round + 1}/${PATCHES}: ${gen.count} changes on ${gen.hosts.length} hosts; emit → on screen ${ms(record.shownAt! - offset - t)} (drawn ${ms(record.at - offset - t)}; ` +
        `in the page: arrival → drawn ${ms(record.ms)}, of which apply ${ms(record.applyMs)}, paint ${ms(record.drawMs)})`,
    );
    await sleep(250);
  }
  return out;
}

async function checkSummary(page: Page): Promise<string | null> {
  const srv = server!;
  let pods = 0;
  let hosts = 0;
  let established = 0;
  for (const n of srv.nodes.values()) {
    if (n.type === 'pod') pods++;
    else if (n.type === 'host') hosts++;
  }
  // compact hosts count their sessions in data.relations (their established ones are no edges)
  const compact = new Set<string>();
  for (const n of srv.nodes.values()) {
    const rel = n.type === 'host' ? (n.data['relations'] as { bgp?: { established?: number } } | undefined) : undefined;
    if (rel?.bgp) {
      compact.add(n.id);
      established += rel.bgp.established ?? 0;
    }
  }
  for (const e of srv.edges.values()) if (e.type === 'bgp' && e.data['state'] === 'established' && !compact.has(e.source)) established++;
  const shown = await page.getByTestId('topology-summary').evaluate((s: HTMLElement) => ({ ...s.dataset }));
  const want = { hosts: String(hosts), pods: String(pods), bgpEstablished: String(established) };
  const wrong = Object.entries(want).filter(([k, v]) => shown[k] !== v);
  return wrong.length ? `the page shows ${wrong.map(([k]) => `${k} ${shown[k]}`).join(', ')}; the server holds ${wrong.map(([k, v]) => `${k} ${v}`).join(', ')}` : null;
}

// ------------------------------------------------------------------ main

interface SweepRow {
  size: ClusterSize;
  json: number;
  gzip: number | null;
  firstRender: number;
  overview: Motion | null;
  pods: Motion | null;
  error: string | null;
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
/** `12.3 MB of JSON (gzip 1.2 MB), serialized once in …, gzipped in …` */
const describeBody = (b: { bytes: number; serializeMs: number; gzipBytes: number | null; gzipMs: number | null }) =>
  `${mb(b.bytes)} of JSON${b.gzipBytes === null ? '' : ` (gzip ${mb(b.gzipBytes)})`}, serialized once in ${ms(b.serializeMs)}${b.gzipMs === null ? '' : `, gzipped in ${ms(b.gzipMs)}`}`;
/** a note when other processes used more than a tenth of the machine during a measurement */
const busy = (share: number | null) => (share !== null && share > 0.1 ? ` (other processes used ${(100 * share).toFixed(0)}% of the machine meanwhile)` : '');

async function main(): Promise<void> {
  const size: ClusterSize = { hosts: HOSTS, podsPerHost: PODS, mesh: MESH, form: FORM };
  log(
    `netatlas web bench: ${label(size)} form (--form ${FORM}), ${RUNS} page loads, ${PATCHES} live patches, ${SECONDS} s per pan/zoom, ` +
      `sweep ${SWEEP.length ? SWEEP.map((h) => `${h}×${PODS}`).join(', ') : 'off'}`,
  );
  checkChromium();
  ensureBuilt();
  const loadAtStart = loadavg()[0]!;
  if (loadAtStart > CORES / 2) log(`  note: the machine is busy before the bench starts (load average ${loadAtStart.toFixed(1)} on ${CORES} cores): the figures will be pessimistic`);
  const others = otherLoad(CORES);

  phase('bench server (the built app, REST, socket.io /live) and Chromium');
  server = new BenchServer(WEB_DIR, GZIP);
  await server.start();
  const generated = performance.now();
  server.setCluster(size);
  const generateMs = performance.now() - generated;
  const body = await server.topologyBody();
  const heap = process.memoryUsage();
  log(
    `  ${server.url}: the ${label(size)} cluster generated in ${ms(generateMs)}: ${int(body.nodes)} topology nodes, ${int(body.edges)} edges; ` +
      `/api/topology ${describeBody(body)}; bench heap ${mb(heap.heapUsed)}, rss ${mb(heap.rss)}`,
  );
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: !args.headed,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (error) {
    throw new BenchError(`cannot start Chromium at ${CHROMIUM}: ${(error as Error).message.split('\n')[0]}`);
  }
  log(`  Chromium ${browser.version()} (${args.headed ? 'headed' : 'headless'}, software rendering: --disable-gpu), viewport ${VIEWPORT.width}×${VIEWPORT.height}, device pixel ratio 1`);

  // ---------------------------------------------------------------- 1. first render
  phase(`time to first render: ${RUNS} fresh page loads of #/topology (live), until every host is drawn`);
  const loads: Loaded[] = [];
  for (let run = 0; run < RUNS; run++) {
    // --profile: the last run (its figures include the profiler's overhead)
    const loaded = await openTopology(size, 240_000, args.profile && run === RUNS - 1 ? 'first-render' : null);
    const b = loaded.breakdown;
    log(
      `${stamp()}   run ${run + 1}: ${ms(loaded.firstRenderMs)} goto → on screen  (page: DOMContentLoaded ${ms(b.domContentLoaded)}, /api/topology asked ${ms(b.topologyRequested)}, ` +
        `received ${ms(b.topologyReceived)} (${mb(b.topologyBytes)}), in the view ${ms(b.viewReceived)} (apply ${ms(loaded.first.patchApplyMs)}), drawn ${ms(b.drawn)} (paint ${ms(loaded.first.drawMs)}), ` +
        `next frame ${ms(b.shown)}; clocks ${loaded.clockOffset.toFixed(2)} ms apart)`,
    );
    for (const e of loaded.errors) log(`${stamp()}     ${e}`);
    loads.push(loaded);
    if (run < RUNS - 1) await loaded.context.close();
  }
  const renders = loads.map((l) => l.firstRenderMs);
  const medianLoad = [...loads].sort((a, b) => a.firstRenderMs - b.firstRenderMs)[Math.floor((loads.length - 1) / 2)]!;
  const { page, clockOffset: offset } = loads.at(-1)!;
  await sleep(1000); // debounced panels and tables settle

  // ---------------------------------------------------------------- 3. patches (at the overview, before anyone moved the view)
  phase(`live patches: ${PATCHES} × ~100 changes (pods added and deleted on 8 hosts, a BGP session flapping), emitted on /live`);
  const patchResults = PATCHES > 0 ? await profiled(page, 'patches', () => patches(page, offset)) : [];
  const summaryProblem = PATCHES > 0 ? await checkSummary(page) : null;
  if (summaryProblem) log(`${stamp()}   WRONG after the patches: ${summaryProblem}`);
  else if (PATCHES > 0) log(`${stamp()}   after the patches the page's summary matches the server's cluster (hosts, pods, established sessions)`);

  // ---------------------------------------------------------------- 2. pan and zoom
  phase(`pan and zoom: ${SECONDS} s each, real mouse input (drag, wheel)`);
  const motions: Motion[] = [];
  const report = (m: Motion) => {
    motions.push(m);
    log(
      `${stamp()}   ${m.name}: ${fps(m.fps)} (p95 ${ms(m.p95FrameMs)} between draws), painter p50 ${ms(m.drawP50)} p95 ${ms(m.drawP95)}, ` +
        `${fps(m.rafFps)} animation frames, ${m.inputsPerS.toFixed(0)} input events/s, scale ${m.scale.toFixed(2)}, ${m.hostsDrawn} hosts drawn${busy(m.others)}`,
    );
  };
  let grab = await grabPoint(page);
  log(`${stamp()}   taking hold of ${grab.host} (its sessions and routes are drawn while it is under the pointer)`);
  report(await profiled(page, 'pan-overview', () => measureMotion(page, 'pan, overview', pan(page, grab))));
  report(await profiled(page, 'zoom', () => measureMotion(page, 'zoom in and out', zoomInOut(page, grab))));
  await zoomTo(page, grab, PODS_SCALE);
  grab = await grabPoint(page);
  log(`${stamp()}   zoomed in to the pods, taking hold of ${grab.host}`);
  report(await profiled(page, 'pan-pods', () => measureMotion(page, 'pan, pods', pan(page, grab))));
  await loads.at(-1)!.context.close();

  // ---------------------------------------------------------------- 4. sweep
  const sweep: SweepRow[] = [];
  if (SWEEP.length > 0) {
    phase(`size sweep: ${SWEEP.map((h) => `${h}×${PODS}`).join(', ')}: first render, then panning at the overview and at the pods`);
    let failed = false;
    for (const hosts of SWEEP) {
      const s: ClusterSize = { hosts, podsPerHost: PODS, mesh: MESH, form: FORM };
      const row: SweepRow = { size: s, json: NaN, gzip: null, firstRender: NaN, overview: null, pods: null, error: null };
      sweep.push(row);
      if (failed) {
        row.error = 'skipped (a smaller size failed)';
        continue;
      }
      server.setCluster(s);
      const b = await server.topologyBody();
      row.json = b.bytes;
      row.gzip = b.gzipBytes;
      log(`${stamp()}   ${label(s)}: ${int(b.nodes)} nodes, ${int(b.edges)} edges, ${describeBody(b)}`);
      let loaded: Loaded | null = null;
      try {
        loaded = await openTopology(s, 240_000);
        row.firstRender = loaded.firstRenderMs;
        const grab = await grabPoint(loaded.page);
        row.overview = await measureMotion(loaded.page, 'pan, overview', pan(loaded.page, grab));
        await zoomTo(loaded.page, grab, PODS_SCALE);
        row.pods = await measureMotion(loaded.page, 'pan, pods', pan(loaded.page, await grabPoint(loaded.page)));
        log(
          `${stamp()}   ${label(s)}: first render ${ms(row.firstRender)}; pan overview ${fps(row.overview.fps)} (p95 ${ms(row.overview.p95FrameMs)})${busy(row.overview.others)}, ` +
            `pan pods ${fps(row.pods.fps)} (p95 ${ms(row.pods.p95FrameMs)})${busy(row.pods.others)}`,
        );
      } catch (error) {
        row.error = (error as Error).message;
        failed = true;
        log(`${stamp()}   ${label(s)}: FAILED: ${row.error}`);
      } finally {
        await loaded?.context.close().catch(() => undefined);
      }
    }
  }

  // ---------------------------------------------------------------- figures
  const rows: string[][] = [['figure', 'value', 'target', '']];
  const form = resolveForm(FORM, HOSTS);
  const edgeAsks = server.requests.get('/api/topology/edges') ?? 0;
  rows.push([
    'wire form of /api/topology',
    `${form}${FORM === 'auto' ? ' (--form auto)' : ''}: ${int(body.nodes)} nodes, ${int(body.edges)} edges, ${describeBody(body)}` +
      (form === 'compact' ? `; /api/topology/edges asked ${edgeAsks} times` : ''),
    '',
    '',
  ]);
  const fr = median(renders);
  rows.push([
    `first render ${label(size)}, goto → every host on screen`,
    `median ${ms(fr)} (min ${ms(min(renders))}, max ${ms(max(renders))}, ${RUNS} runs)`,
    `< ${FIRST_RENDER_TARGET_MS / 1000} s`,
    verdict(fr < FIRST_RENDER_TARGET_MS),
  ]);
  const b = medianLoad.breakdown;
  rows.push([
    '  median run, in the page (since navigation)',
    `app ready ${ms(b.domContentLoaded)}, topology asked ${ms(b.topologyRequested)}, received ${ms(b.topologyReceived)} (${mb(b.topologyBytes)} on the wire)`,
    '',
    '',
  ]);
  rows.push(['', `in the view ${ms(b.viewReceived)}, applied +${ms(medianLoad.first.patchApplyMs)}, drawn ${ms(b.drawn)} (paint ${ms(medianLoad.first.drawMs)}), next frame ${ms(b.shown)}`, '', '']);
  for (const m of motions) {
    const isPan = m.name.startsWith('pan') && (!BIG || m.name.includes('overview'));
    rows.push([
      `${m.name} (scale ${m.scale.toFixed(2)}, ${m.hostsDrawn} hosts drawn)`,
      `${fps(m.fps)}, p95 ${ms(m.p95FrameMs)} between draws, painter p50 ${ms(m.drawP50)}`,
      isPan ? `≥ ${TARGET_FPS} fps` : '(none set)',
      isPan ? verdict(m.fps >= TARGET_FPS) : '',
    ]);
  }
  if (patchResults.length > 0) {
    const e2e = patchResults.map((p) => p.endToEnd);
    const inPage = patchResults.map((p) => p.record.ms);
    const changes = median(patchResults.map((p) => p.changes));
    rows.push([
      `${changes}-change live patch, emit → on screen`,
      `p50 ${ms(median(e2e))}, p95 ${ms(quantile(e2e, 0.95))}, max ${ms(max(e2e))} (${patchResults.length} patches)`,
      BIG ? '(none set)' : '< 100 ms',
      BIG ? '' : verdict(median(e2e) < 100),
    ]);
    rows.push([
      '  in the page: arrival → drawn',
      `p50 ${ms(median(inPage))}, p95 ${ms(quantile(inPage, 0.95))}; apply p50 ${ms(median(patchResults.map((p) => p.record.applyMs)))}, paint p50 ${ms(median(patchResults.map((p) => p.record.drawMs)))}`,
      '',
      '',
    ]);
    if (summaryProblem) rows.push(['  page summary after the patches', `WRONG: ${summaryProblem}`, 'matches', 'MISS']);
  }
  if (sweep.length > 0) {
    const holds = (r: SweepRow) => r.overview !== null && r.pods !== null && Math.min(r.overview.fps, r.pods.fps) >= TARGET_FPS;
    const largest = sweep.filter(holds).sort((a, b) => b.size.hosts - a.size.hosts)[0];
    const smallerMissed = largest ? sweep.filter((r) => r.size.hosts < largest.size.hosts && !holds(r)).map((r) => label(r.size)) : [];
    rows.push([
      `largest size panning at ≥ ${TARGET_FPS} fps (overview and pods)`,
      (largest ? label(largest.size) : `none of ${sweep.map((r) => r.size.hosts).join(', ')}`) + (smallerMissed.length ? ` (but ${smallerMissed.join(', ')} did not)` : ''),
      '',
      '',
    ]);
    const sweepRows: string[][] = [['size, form', 'JSON', 'gzip', 'first render', 'pan overview', 'p95', 'pan pods', 'p95', '', 'others busy']];
    for (const r of sweep) {
      sweepRows.push(
        r.error
          ? [label(r.size), Number.isFinite(r.json) ? mb(r.json) : '', r.gzip === null ? '' : mb(r.gzip), r.error.startsWith('skipped') ? 'skipped' : 'failed', '', '', '', '', '', '']
          : [
              label(r.size),
              mb(r.json),
              r.gzip === null ? 'off' : mb(r.gzip),
              ms(r.firstRender),
              fps(r.overview!.fps),
              ms(r.overview!.p95FrameMs),
              fps(r.pods!.fps),
              ms(r.pods!.p95FrameMs),
              Math.min(r.overview!.fps, r.pods!.fps) >= TARGET_FPS ? `≥ ${TARGET_FPS} fps` : `< ${TARGET_FPS} fps`,
              `${(100 * Math.max(r.overview!.others ?? 0, r.pods!.others ?? 0)).toFixed(0)}%`,
            ],
      );
    }
    const failures = sweep.filter((r) => r.error).map((r) => `  ${r.error!.startsWith(label(r.size)) ? r.error : `${label(r.size)}: ${r.error}`}`);
    log(`\n${stamp()} == size sweep\n${table(sweepRows)}${failures.length ? `\n${failures.join('\n')}` : ''}`);
  }
  const otherShare = others.stop();
  rows.push([
    'other processes on the machine meanwhile',
    otherShare === null ? 'unknown' : `${(100 * otherShare).toFixed(0)}% of ${CORES} cores${otherShare > 0.1 ? ': busy, the figures are pessimistic' : ''}`,
    '',
    '',
  ]);
  log(`\n${stamp()} == figures (${label(size)} form, headless Chromium ${browser.version()}, ${VIEWPORT.width}×${VIEWPORT.height})\n${table(rows)}`);
}

let code = 0;
process.on('SIGINT', () => {
  process.stderr.write('\nbench:web: interrupted\n');
  void cleanup().finally(() => process.exit(130));
});

async function cleanup(): Promise<void> {
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
}

try {
  await main();
} catch (error) {
  code = 1;
  process.stderr.write(`\nbench:web failed: ${error instanceof BenchError ? error.message : ((error as Error).stack ?? String(error))}\n`);
} finally {
  await cleanup();
  log(`\n${stamp()} done`);
}
process.exit(code);
