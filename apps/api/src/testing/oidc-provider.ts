// A real OpenID provider for tests (node-oidc-provider, the certified implementation) on a free
// port of 127.0.0.1: one client for netatlas (public, PKCE), and users whose groups come from
// their login name: `alice` is in no group, `olga` in `netops`, `adam` in `netadmins` and
// `nobody` in `outsiders`. The dev interactions accept any password: the login form is real HTML
// that a browser fills in.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Provider from 'oidc-provider';

export const OIDC_CLIENT_ID = 'netatlas-test';
export const OIDC_GROUPS: Record<string, string[]> = { alice: [], olga: ['netops'], adam: ['netadmins'], nobody: ['outsiders'] };
/** the environment the API needs to use this provider, with the groups above mapped to roles */
export function oidcEnv(issuer: string): Record<string, string> {
  return {
    NETATLAS_OIDC_ISSUER: issuer,
    NETATLAS_OIDC_CLIENT_ID: OIDC_CLIENT_ID,
    NETATLAS_OIDC_SCOPES: 'openid profile groups',
    NETATLAS_ADMIN_GROUPS: 'netadmins',
    NETATLAS_OPERATOR_GROUPS: 'netops',
  };
}

export interface TestOidcProvider {
  issuer: string;
  close(): Promise<void>;
}

/** Starts the provider; `apiUrls` are the API's external URLs (its callback and post-logout page are registered for each). */
export async function startOidcProvider(apiUrls: string[]): Promise<TestOidcProvider> {
  // the issuer must be known before the server listens: take a port, then build the provider on it
  const { createServer } = await import('node:http');
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: OIDC_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        redirect_uris: apiUrls.map((u) => `${u.replace(/\/+$/, '')}/api/auth/callback`),
        post_logout_redirect_uris: apiUrls.map((u) => `${u.replace(/\/+$/, '')}/`),
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'groups'],
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ['netatlas-test-provider-cookie-key'] },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, name: id.charAt(0).toUpperCase() + id.slice(1), preferred_username: id, groups: OIDC_GROUPS[id] ?? [] };
        },
      };
    },
  });
  provider.proxy = false;
  const server: Server = provider.listen(port, '127.0.0.1') as unknown as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
