// The fixture runner promised in runner.ts: a Runner that answers the readers' commands with output
// captured from the real tools (fixture-captures.ts), so the whole collector runs without root,
// lab or daemons. A command with no captured answer fails, naming it; a tool with none at all is
// not installed here, so its readers are `missing` as on a real node without it.
import { fileURLToPath } from 'node:url';
import type { ReaderOptions } from '../readers/reader.js';
import { ToolMissingError, type Runner } from '../runner.js';
import { CAPTURED_CNI_DIR, loadCapture, type Answer, type Capture } from './fixture-captures.js';

export { LAB_STYLES, hasKernelCapture } from './fixture-captures.js';

export class FixtureRunner implements Runner {
  readonly where: string;
  /** every command run and file read, in order */
  readonly calls: string[] = [];
  private readonly tools: Set<string>;
  private readonly asked = new Set<Answer>();
  /**
   * BIRD's reader looks for its socket on this machine's disk, not through the runner: it is
   * pointed at a file that exists (the capture), and birdc's `-s` is then matched as `<socket>`.
   */
  private readonly birdSocket = fileURLToPath(import.meta.url);

  private constructor(
    readonly caseName: string,
    private readonly capture: Capture,
  ) {
    this.where = `fixture ${caseName}`;
    this.tools = new Set([...capture.commands.keys()].map((c) => c.split(' ')[0] ?? ''));
  }

  /** The captured case `name`: a lab style (kube-router, calico, flannel) or any kernel fixture case. */
  static forCase(name: string): FixtureRunner {
    return new FixtureRunner(name, loadCapture(name));
  }

  /** What the readers need told to find the captured daemons (see birdSocket). */
  get readerOptions(): ReaderOptions {
    const cni = [...this.capture.commands.keys()].some((c) => c.includes(CAPTURED_CNI_DIR));
    return { ...(this.tools.has('birdc') ? { birdSocket: this.birdSocket } : {}), ...(cni ? { cniDir: CAPTURED_CNI_DIR } : {}) };
  }

  /** When the daemons' output was captured: the collector's clock, so BIRD's time-only stamps resolve as they did then. */
  get capturedAt(): Date {
    return new Date(this.capture.capturedAt);
  }

  /** The time zone BIRD printed its times in (set TZ to it when parsing them). */
  get timeZone(): string {
    return this.capture.timeZone;
  }

  /** The answers that are not captures as such, with why. */
  standIns(): { command: string; from: string; why: string }[] {
    return [...this.capture.commands, ...this.capture.files].flatMap(([command, a]) => (a.standIn ? [{ command, from: a.from, why: a.standIn }] : []));
  }

  /** Captured answers no reader asked for: a command line that no longer matches what a reader runs. */
  unasked(): string[] {
    return [...this.capture.commands, ...this.capture.files].filter(([, a]) => !this.asked.has(a)).map(([c, a]) => `${c} (${a.from})`);
  }

  available(tool: string): boolean {
    return this.tools.has(tool);
  }

  /** `timeoutMs`: nothing runs, so nothing waits */
  async run(tool: string, args: string[], _timeoutMs?: number): Promise<string> {
    const line = [tool, ...this.socketless(tool, args)].join(' ');
    this.calls.push(line);
    if (!this.tools.has(tool)) throw new ToolMissingError(tool);
    return this.answer(this.capture.commands.get(line), line);
  }

  async readFile(path: string, _timeoutMs?: number): Promise<string> {
    this.calls.push(`read ${path}`);
    return this.answer(this.capture.files.get(path), path);
  }

  private answer(a: Answer | undefined, what: string): string {
    if (!a) throw new Error(`fixture ${this.caseName}: no captured output for '${what}'`);
    this.asked.add(a);
    return a.text;
  }

  private socketless(tool: string, args: string[]): string[] {
    return tool === 'birdc' && args[0] === '-s' && args[1] === this.birdSocket ? ['-s', '<socket>', ...args.slice(2)] : args;
  }
}
