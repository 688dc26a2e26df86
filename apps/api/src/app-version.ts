/** Injection token for the running API's version string. */
export const APP_VERSION = Symbol('APP_VERSION');

/** The version to report: NETATLAS_VERSION, else the npm package version when run through npm, else 0.0.0-dev. */
export function defaultVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env['NETATLAS_VERSION'] || env['npm_package_version'] || '0.0.0-dev';
}
