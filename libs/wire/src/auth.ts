// Who a viewer is and what they may do (README "Security"): the roles, the signed-in user as
// GET /api/auth/me reports it, API tokens as the admin page lists them, and alert silences.

/** viewer reads everything; operator also acknowledges and silences alerts; admin also manages tokens and reads settings */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** true when `role` may do what `needed` may */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** how a viewer got in */
export type AuthVia = 'oidc' | 'token' | 'proxy' | 'anonymous';

export interface Viewer {
  /** the OIDC subject, the proxy's user, `token:<name>`, or `anonymous` */
  subject: string;
  /** what to show: the name claim, the proxy's user, the token's name */
  name: string;
  role: Role;
  via: AuthVia;
}

/** GET /api/auth/me (open to all): who this is, and how one may sign in */
export interface AuthMe {
  /** null: not signed in (every other endpoint answers 401) */
  viewer: Viewer | null;
  methods: {
    /** sign in through the OpenID provider at GET /api/auth/login?return=… (null: not configured) */
    oidc: { issuer: string } | null;
    /** sign in by pasting an API token (POST /api/auth/token-login) */
    token: boolean;
  };
  /** POST /api/auth/logout ends the session (false for anonymous and proxy viewers, whose access is not a session) */
  canLogout: boolean;
}

/** An API token as GET /api/admin/tokens lists it (its secret is shown once, on creation) */
export interface ApiToken {
  id: number;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
}

/** A silence: alerts of `rule` (any rule when null) whose labels include `labels` are not notified until `until` */
export interface Silence {
  id: number;
  rule: string | null;
  labels: Record<string, string>;
  until: string;
  comment: string;
  createdBy: string;
  createdAt: string;
}

/** Who acknowledged an alert, and when */
export interface AlertAcknowledgement {
  by: string;
  at: string;
}

/** Whether a silence covers an alert: the same rule (or any), and every label of the silence on the alert. */
export function silenceMatches(silence: Pick<Silence, 'rule' | 'labels'>, alert: { rule: string; labels: Record<string, string> }): boolean {
  if (silence.rule !== null && silence.rule !== alert.rule) return false;
  return Object.entries(silence.labels).every(([k, v]) => alert.labels[k] === v);
}
