// Collectors as separate processes, streaming to an API under test (from source, through tsx).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_TOKEN } from './api.js';

const COLLECTOR_MAIN = fileURLToPath(new URL('../../../collector/src/main.ts', import.meta.url));

export interface CollectorProcess {
  child: ChildProcess;
  /** what it wrote to stderr, for failure messages */
  stderr: string[];
  stop(): Promise<void>;
}

export function startCollectorProcess(apiUrl: string, netns: string, extra: string[] = []): CollectorProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', COLLECTOR_MAIN, '--api', apiUrl, '--netns', netns, '--node-name', netns, '--poll-bgp', '1', ...extra], {
    env: { ...process.env, NETATLAS_TOKEN: TEST_TOKEN },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  return {
    child,
    stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
