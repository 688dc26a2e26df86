// The README's configuration reference is complete: every variable the API and the collector read
// and every collector flag (from the apps' own lists) is described there.
import { beforeAll, describe, expect, it } from 'vitest';
import { appContract, type AppContract } from './apps.js';
import { readRepoFile } from './repo.js';

/** The text under a heading, up to the next heading of the same or a higher level (code blocks skipped). */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`README.md has no "${heading}" section`);
  const level = heading.split(' ')[0]!.length;
  let fenced = false;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i]!.trimStart().startsWith('```')) fenced = !fenced;
    const m = /^(#+) /.exec(lines[i]!);
    if (!fenced && m && m[1]!.length <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start + 1, end).join('\n');
}

const readme = readRepoFile('README.md');
let contract: AppContract;
beforeAll(async () => {
  contract = await appContract();
});

describe('README "Configuration"', () => {
  const configuration = section(readme, '## Configuration');

  it('describes every environment variable of the API', () => {
    const api = section(configuration, '### API');
    expect(contract.apiEnv.filter((name) => !api.includes(`\`${name}\``) && !api.includes(`$${name}`))).toEqual([]);
  });

  it('describes every flag and environment variable of the collector, with its default', () => {
    const collector = section(configuration, '### Collector');
    const rows = new Map(
      [...collector.matchAll(/^\| `(?:-\w`, `)?--([a-z-]+)[^`]*` \|\s*([^|]*?)\s*\|/gm)].map((m) => [m[1]!, m[2]!.trim()]),
    );
    expect([...rows.keys()].sort()).toEqual([...contract.collectorFlags].sort());
    expect(contract.collectorEnv.filter((name) => !collector.includes(`\`${name}\``))).toEqual([]);
    // the defaults of the numeric flags match the code's
    const args = readRepoFile('apps/collector/src/args.ts');
    const defaults = [...args.matchAll(/positiveNumber\('([a-z-]+)', values(?:\.\w+|\['[a-z-]+'\]), (\d+)\)/g)];
    expect(defaults.length).toBe(7);
    for (const [, flag, value] of defaults) expect(rows.get(flag!), `--${flag}`).toBe(`\`${value}\``);
    const gobgp = readRepoFile('apps/collector/src/readers/gobgp.reader.ts');
    expect(rows.get('gobgp-api')).toBe(`\`NETATLAS_GOBGP_API\`, else \`${/DEFAULT_GOBGP_API = '([^']+)'/.exec(gobgp)![1]}\``);
    const cni = readRepoFile('apps/collector/src/readers/cni.reader.ts');
    expect(rows.get('cni-dir')).toBe(`\`NETATLAS_CNI_DIR\`, else \`${/DEFAULT_CNI_DIR = '([^']+)'/.exec(cni)![1]}\``);
  });

  it('points docker compose users at .env.example, and the Deploy section at the images and manifests', () => {
    expect(configuration).toContain('.env.example');
    const deploy = section(readme, '## Deploy');
    for (const text of ['deploy/docker/api.Dockerfile', 'deploy/docker/collector.Dockerfile', 'docker-compose up', 'kubectl apply -k deploy/kubernetes/base', 'deploy/kubernetes/postgres']) {
      expect(deploy).toContain(text);
    }
  });
});
