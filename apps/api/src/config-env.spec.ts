// API_ENV is the machine-readable list of the API's environment variables (the deploy tests check
// docker-compose.yml and the Kubernetes manifests against it): it must be exactly what the code reads.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API_ENV, API_ENV_OUTSIDE_CONFIG, loadConfig } from './settings.js';

const SRC = fileURLToPath(new URL('.', import.meta.url));

/** An environment that records every name read from it. */
function recording(values: Record<string, string>, reads: Set<string>): Record<string, string | undefined> {
  return new Proxy({ ...values } as Record<string, string | undefined>, {
    get(target, name) {
      if (typeof name === 'string') reads.add(name);
      return target[name as string];
    },
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['generated', 'testing', 'e2e'].includes(entry.name) ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('API_ENV', () => {
  it('lists each name once', () => {
    expect(new Set(API_ENV).size).toBe(API_ENV.length);
  });

  it('is what loadConfig reads, plus the variables read at start elsewhere', () => {
    const reads = new Set<string>();
    const scenarios: Record<string, string>[] = [
      {},
      // in a pod: auto finds the service host
      { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
      // kubeconfig mode without KUBECONFIG reads HOME (and fails on the missing file: reads still count)
      { NETATLAS_KUBERNETES: 'kubeconfig', HOME: '/nonexistent-netatlas-home' },
      // OpenID Connect and the trusted proxy read their details only once configured
      { NETATLAS_OIDC_ISSUER: 'https://id.example.com', NETATLAS_OIDC_CLIENT_ID: 'netatlas', NETATLAS_TRUSTED_PROXIES: '10.0.0.0/8' },
    ];
    for (const values of scenarios) {
      try {
        loadConfig(recording(values, reads));
      } catch {
        // only the names read matter here
      }
    }
    const outside = new Set<string>(API_ENV_OUTSIDE_CONFIG);
    expect([...reads].sort()).toEqual(API_ENV.filter((name) => !outside.has(name)).sort());
  });

  it('holds every environment variable named in the API source', () => {
    const named = new Map<string, string>();
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\benv\[['"]([A-Za-z_][A-Za-z0-9_]*)['"]\]|\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
        const name = m[1] ?? m[2]!;
        named.set(name, relative(SRC, file));
      }
    }
    const missing = [...named].filter(([name]) => !(API_ENV as readonly string[]).includes(name));
    expect(missing, 'read in the source but missing from API_ENV').toEqual([]);
    for (const name of API_ENV_OUTSIDE_CONFIG) expect(named.has(name), `${name} is read somewhere`).toBe(true);
  });
});
