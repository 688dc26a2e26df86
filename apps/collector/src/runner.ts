// The one place the collector runs tools: a time-out on every command, tools looked up once, and
// namespaces handled here so readers never think about them. A fixture runner replays recorded
// output through the same interface (testing/fixture-runner.ts).
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class ToolMissingError extends Error {
  constructor(readonly tool: string) {
    super(`${tool} is not installed (not found on PATH)`);
    this.name = 'ToolMissingError';
  }
}

export class CommandTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    readonly stderr: string,
  ) {
    super(`'${command}' did not finish within ${timeoutMs} ms${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    this.name = 'CommandTimeoutError';
  }
}

export class CommandFailedError extends Error {
  constructor(
    readonly command: string,
    readonly result: CommandResult,
  ) {
    super(`'${command}' exited with ${result.code}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`);
    this.name = 'CommandFailedError';
  }
}

export interface Runner {
  /** Run a tool; rejects with ToolMissingError, CommandTimeoutError or CommandFailedError. */
  run(tool: string, args: string[], timeoutMs: number): Promise<string>;
  /** Read a file as this node sees it (for /proc files that differ per namespace). */
  readFile(path: string, timeoutMs: number): Promise<string>;
  /** Whether `tool` is installed (looked up on PATH). */
  available(tool: string): boolean;
  /** Where the runner reads from, e.g. `netns lab-node1` or `host`. */
  readonly where: string;
}

function findOnPath(tool: string): string | null {
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean)) {
    const p = join(dir, tool);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Runs the real tools on this host, or inside network namespace `netns`. */
export class SystemRunner implements Runner {
  private readonly found = new Map<string, string | null>();
  readonly where: string;

  constructor(private readonly netns?: string) {
    this.where = netns ? `netns ${netns}` : 'host';
  }

  private resolve(tool: string): string {
    if (!this.found.has(tool)) this.found.set(tool, findOnPath(tool));
    const path = this.found.get(tool);
    if (!path) {
      // looked up again next time: a tool installed later is picked up
      this.found.delete(tool);
      throw new ToolMissingError(tool);
    }
    return path;
  }

  available(tool: string): boolean {
    return findOnPath(tool) !== null;
  }

  /** `ip` and `bridge` take `-n NS`; anything else runs under `ip netns exec NS`. */
  private command(tool: string, args: string[]): [string, string[]] {
    const path = this.resolve(tool);
    if (!this.netns) return [path, args];
    if (tool === 'ip' || tool === 'bridge') return [path, ['-n', this.netns, ...args]];
    return [this.resolve('ip'), ['netns', 'exec', this.netns, path, ...args]];
  }

  run(tool: string, args: string[], timeoutMs: number): Promise<string> {
    const [cmd, argv] = this.command(tool, args);
    return execute(cmd, argv, timeoutMs);
  }

  async readFile(path: string, timeoutMs: number): Promise<string> {
    if (!this.netns) return readFileSync(path, 'utf8');
    return this.run('cat', [path], timeoutMs);
  }
}

/** A tool's stderr in bounded memory: its first and last 4 kB, where what went wrong is said. */
class StderrKeeper {
  private static readonly KEEP = 4096;
  private head = '';
  private tail = '';
  private dropped = 0;

  add(chunk: string): void {
    const room = StderrKeeper.KEEP - this.head.length;
    if (room > 0) {
      this.head += chunk.slice(0, room);
      chunk = chunk.slice(room);
    }
    if (!chunk) return;
    this.tail += chunk;
    if (this.tail.length > StderrKeeper.KEEP) {
      this.dropped += this.tail.length - StderrKeeper.KEEP;
      this.tail = this.tail.slice(-StderrKeeper.KEEP);
    }
  }

  text(): string {
    return this.dropped ? `${this.head}\n… [${this.dropped} characters not kept] …\n${this.tail}` : this.head + this.tail;
  }
}

export function execute(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  const line = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const stderr = new StderrKeeper();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => stderr.add(d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' ? new ToolMissingError(cmd) : err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      if (timedOut) reject(new CommandTimeoutError(line, timeoutMs, stderr.text()));
      else if (code !== 0) reject(new CommandFailedError(line, { code: code ?? -1, stdout, stderr: stderr.text() }));
      else resolve(stdout);
    });
  });
}
