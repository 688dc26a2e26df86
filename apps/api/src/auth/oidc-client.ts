// OpenID Connect sign-in (authorization code with PKCE) through openid-client. The provider's
// metadata is discovered at the first sign-in and kept; a provider that is down then makes the
// sign-in fail with a message, not the API's start.
import type { Role } from '@netatlas/wire';
import * as client from 'openid-client';
import { roleForGroups, type GroupRoles, type OidcConfig } from './auth-config.js';

export interface SignInStart {
  /** where to send the browser */
  url: string;
  /** what the callback needs back (kept in the signed sign-in cookie) */
  state: string;
  nonce: string;
  verifier: string;
}

export interface SignedIn {
  subject: string;
  name: string;
  /** null: signed in, but in none of the groups that may see netatlas */
  role: Role | null;
  groups: string[];
  idToken: string | null;
}

export class OidcClient {
  private configuration: Promise<client.Configuration> | null = null;

  constructor(
    private readonly config: OidcConfig,
    private readonly groups: GroupRoles,
  ) {}

  private discover(): Promise<client.Configuration> {
    if (!this.configuration) {
      const issuer = new URL(this.config.issuer);
      const auth = this.config.clientSecret === null ? client.None() : client.ClientSecretPost(this.config.clientSecret);
      this.configuration = client
        .discovery(issuer, this.config.clientId, undefined, auth, issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined)
        .catch((error: unknown) => {
          this.configuration = null; // try again at the next sign-in
          throw new Error(`the OpenID provider at ${this.config.issuer} could not be reached: ${(error as Error).message}`);
        });
    }
    return this.configuration;
  }

  async start(): Promise<SignInStart> {
    const configuration = await this.discover();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.config.redirectUri,
      scope: this.config.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, nonce, verifier };
  }

  /** Exchanges the code the provider sent back (`callbackUrl` is the whole URL it came to). */
  async finish(callbackUrl: URL, expected: { state: string; nonce: string; verifier: string }): Promise<SignedIn> {
    const configuration = await this.discover();
    const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: expected.verifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('the provider sent no ID token');
    // groups and names are often only in the userinfo; the ID token's claims win where both have them
    const info = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
    const claims: Record<string, unknown> = { ...info, ...idClaims };
    const rawGroups = claims[this.config.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : typeof rawGroups === 'string' ? [rawGroups] : [];
    const nameOf = (k: string) => (typeof claims[k] === 'string' && claims[k] !== '' ? (claims[k] as string) : null);
    return {
      subject: idClaims.sub,
      name: nameOf(this.config.nameClaim) ?? nameOf('preferred_username') ?? nameOf('email') ?? idClaims.sub,
      role: roleForGroups(groups, this.groups),
      groups,
      idToken: tokens.id_token ?? null,
    };
  }

  /** The provider's logout page for this ID token, or null when it has none. */
  async endSessionUrl(idToken: string | null, returnTo: string): Promise<string | null> {
    const configuration = await this.discover().catch(() => null);
    if (!configuration?.serverMetadata().end_session_endpoint) return null;
    const params: Record<string, string> = { post_logout_redirect_uri: returnTo, client_id: this.config.clientId };
    if (idToken) params['id_token_hint'] = idToken;
    return client.buildEndSessionUrl(configuration, params).href;
  }
}
