// Who may read and act (README "Security"), from environment variables. The embedded default (HOST
// on loopback, nothing configured) lets everyone on this machine in as admin: that is `npm start`
// with no set-up. Beyond loopback the API needs a way to tell viewers apart, or an explicit
// NETATLAS_ANONYMOUS, and says so instead of starting open.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { ROLES, type Role } from '@netatlas/wire';

/** Injection token of who may read and act (AuthConfig), provided at start from settings.ts. */
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

export const ANONYMOUS_CHOICES = ['off', ...ROLES] as const;

export interface OidcConfig {
  issuer: string;
  clientId: string;
  /** null: a public client (PKCE alone) */
  clientSecret: string | null;
  /** where the provider sends the browser back: <external URL>/api/auth/callback */
  redirectUri: string;
  scopes: string;
  /** the claim (in the ID token or the userinfo) that lists a user's groups */
  groupsClaim: string;
  /** the name to show: this claim, else preferred_username, email, sub */
  nameClaim: string;
}

export interface ProxyConfig {
  /** the proxies' addresses (CIDRs): only their requests' user headers are believed */
  trusted: Cidr[];
  userHeader: string;
  groupsHeader: string;
}

export interface GroupRoles {
  admin: string[];
  operator: string[];
  /** empty: every signed-in user is at least a viewer; else only members of these (or the above) get in */
  viewer: string[];
}

export interface AuthConfig {
  /** where browsers reach the API (NETATLAS_EXTERNAL_URL): the UI's home after sign-in and out */
  externalUrl: string;
  /** the role of a request that brings no credential (null: none, 401) */
  anonymous: Role | null;
  /** true when NETATLAS_ANONYMOUS was left unset on loopback: the zero-set-up embedded default */
  anonymousByDefault: boolean;
  oidc: OidcConfig | null;
  proxy: ProxyConfig | null;
  groups: GroupRoles;
  /** signs session cookies; random per process when NETATLAS_SESSION_SECRET is unset */
  sessionSecret: string;
  sessionSecretGenerated: boolean;
  sessionTtlMs: number;
  /** cookies get `Secure` (the external URL is https) */
  secureCookies: boolean;
}

export const AUTH_ENV = [
  'NETATLAS_ANONYMOUS',
  'NETATLAS_OIDC_ISSUER',
  'NETATLAS_OIDC_CLIENT_ID',
  'NETATLAS_OIDC_CLIENT_SECRET',
  'NETATLAS_OIDC_SCOPES',
  'NETATLAS_OIDC_GROUPS_CLAIM',
  'NETATLAS_OIDC_NAME_CLAIM',
  'NETATLAS_ADMIN_GROUPS',
  'NETATLAS_OPERATOR_GROUPS',
  'NETATLAS_VIEWER_GROUPS',
  'NETATLAS_TRUSTED_PROXIES',
  'NETATLAS_PROXY_USER_HEADER',
  'NETATLAS_PROXY_GROUPS_HEADER',
  'NETATLAS_SESSION_SECRET',
  'NETATLAS_SESSION_HOURS',
] as const;

type Env = Record<string, string | undefined>;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export interface Cidr {
  family: 4 | 6;
  bits: bigint;
  prefix: number;
}

function ipBits(ip: string): { family: 4 | 6; bits: bigint } | null {
  const v = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(v);
  if (family === 4) return { family: 4, bits: v.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n) };
  if (family !== 6) return null;
  const [head, tail] = v.split('::') as [string, string | undefined];
  const parts = (s: string | undefined) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { family: 6, bits: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function parseCidr(raw: string): Cidr {
  const [ip, len] = raw.split('/') as [string, string | undefined];
  const addr = ipBits(ip);
  const max = addr?.family === 6 ? 128 : 32;
  const prefix = len === undefined ? max : Number(len);
  if (!addr || !Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`NETATLAS_TRUSTED_PROXIES: ${JSON.stringify(raw)} is not an address or CIDR`);
  return { family: addr.family, bits: addr.bits >> BigInt(max - prefix), prefix };
}

/** Whether the peer address `ip` (as Node reports it, IPv4-mapped or not) is inside one of `cidrs`. */
export function inCidrs(ip: string | undefined, cidrs: readonly Cidr[]): boolean {
  const addr = ip ? ipBits(ip) : null;
  if (!addr) return false;
  const max = addr.family === 6 ? 128 : 32;
  return cidrs.some((c) => c.family === addr.family && addr.bits >> BigInt(max - c.prefix) === c.bits);
}

/**
 * The viewers' settings from `env`. `host` is where the API listens; `externalUrl` where browsers
 * reach it (the OIDC redirect goes there).
 */
export function loadAuthConfig(env: Env, host: string, externalUrl: string): AuthConfig {
  const anonRaw = env['NETATLAS_ANONYMOUS']?.trim() ?? '';
  if (anonRaw !== '' && !(ANONYMOUS_CHOICES as readonly string[]).includes(anonRaw)) {
    throw new Error(`NETATLAS_ANONYMOUS must be one of ${ANONYMOUS_CHOICES.join(', ')}, got ${JSON.stringify(anonRaw)}`);
  }

  const issuer = env['NETATLAS_OIDC_ISSUER']?.trim() || null;
  const clientId = env['NETATLAS_OIDC_CLIENT_ID']?.trim() || null;
  if ((issuer === null) !== (clientId === null)) throw new Error('NETATLAS_OIDC_ISSUER and NETATLAS_OIDC_CLIENT_ID go together: set both, or neither');
  let oidc: OidcConfig | null = null;
  if (issuer !== null && clientId !== null) {
    try {
      const u = new URL(issuer);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw new Error(`NETATLAS_OIDC_ISSUER must be the provider's URL (https://…), got ${JSON.stringify(issuer)}`);
    }
    oidc = {
      issuer,
      clientId,
      clientSecret: env['NETATLAS_OIDC_CLIENT_SECRET'] || null,
      redirectUri: `${externalUrl.replace(/\/+$/, '')}/api/auth/callback`,
      scopes: env['NETATLAS_OIDC_SCOPES']?.trim() || 'openid profile email',
      groupsClaim: env['NETATLAS_OIDC_GROUPS_CLAIM']?.trim() || 'groups',
      nameClaim: env['NETATLAS_OIDC_NAME_CLAIM']?.trim() || 'name',
    };
  }

  const trusted = list(env['NETATLAS_TRUSTED_PROXIES']).map(parseCidr);
  const proxy: ProxyConfig | null =
    trusted.length === 0
      ? null
      : {
          trusted,
          userHeader: (env['NETATLAS_PROXY_USER_HEADER']?.trim() || 'x-forwarded-user').toLowerCase(),
          groupsHeader: (env['NETATLAS_PROXY_GROUPS_HEADER']?.trim() || 'x-forwarded-groups').toLowerCase(),
        };

  const loopback = isLoopback(host);
  const anonymousByDefault = anonRaw === '' && loopback && oidc === null && proxy === null;
  if (anonRaw === '' && !loopback && oidc === null && proxy === null) {
    throw new Error(
      `HOST=${host} would let anyone who reaches it read the whole network map: configure viewers first ` +
        '(NETATLAS_OIDC_ISSUER and NETATLAS_OIDC_CLIENT_ID for OpenID Connect, NETATLAS_TRUSTED_PROXIES behind oauth2-proxy, ' +
        'or NETATLAS_ANONYMOUS=off for API tokens alone: npm run token -- create-api --name NAME --role admin), ' +
        'or say NETATLAS_ANONYMOUS=viewer to open it read-only on purpose (README "Security")',
    );
  }
  const anonymous: Role | null = anonymousByDefault ? 'admin' : anonRaw === '' || anonRaw === 'off' ? null : (anonRaw as Role);

  const secretRaw = env['NETATLAS_SESSION_SECRET'] || null;
  if (secretRaw !== null && secretRaw.length < 32) throw new Error('NETATLAS_SESSION_SECRET must be at least 32 characters');
  const hoursRaw = env['NETATLAS_SESSION_HOURS'];
  const hours = hoursRaw === undefined || hoursRaw === '' ? 12 : Number(hoursRaw);
  if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 30) throw new Error(`NETATLAS_SESSION_HOURS must be a number of hours up to 720, got ${JSON.stringify(hoursRaw)}`);

  return {
    anonymous,
    anonymousByDefault,
    oidc,
    proxy,
    groups: { admin: list(env['NETATLAS_ADMIN_GROUPS']), operator: list(env['NETATLAS_OPERATOR_GROUPS']), viewer: list(env['NETATLAS_VIEWER_GROUPS']) },
    sessionSecret: secretRaw ?? randomBytes(32).toString('base64url'),
    sessionSecretGenerated: secretRaw === null,
    sessionTtlMs: hours * 3600_000,
    secureCookies: externalUrl.startsWith('https:'),
    externalUrl,
  };
}

/** The role a user with these groups gets, or null when none (NETATLAS_VIEWER_GROUPS set and not a member). */
export function roleForGroups(groups: readonly string[], g: GroupRoles): Role | null {
  const has = (names: string[]) => names.some((n) => groups.includes(n));
  if (has(g.admin)) return 'admin';
  if (has(g.operator)) return 'operator';
  if (g.viewer.length === 0 || has(g.viewer)) return 'viewer';
  return null;
}
