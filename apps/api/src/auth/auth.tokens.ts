// Injection token for the OIDC client (null when OpenID Connect is not configured).
export const OIDC_CLIENT = Symbol('OIDC_CLIENT');
