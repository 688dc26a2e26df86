// The connection to the Kubernetes API, per NETATLAS_KUBERNETES (settings.ts): the pod's service
// account when in-cluster, or a kubeconfig file (KUBECONFIG may list several, merged like kubectl
// does: the first file that sets a current context, or names a cluster, user or context, wins). A
// configuration that cannot be loaded (no file, not YAML, no current context naming a cluster, a CA,
// client certificate or key file it names that cannot be read) stops the API with a message, like any
// other bad setting. Plain-http servers (`kubectl proxy`) are used as kubectl uses them.
import { createConfiguration, KubeConfig, ServerConfiguration, type Cluster, type Configuration } from '@kubernetes/client-node';
import { accessSync, constants, existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { delimiter } from 'node:path';
import type { KubeMode } from './kube-types.js';

/** Where the service account's files are inside a pod. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeClientSettings {
  kubernetes: KubeMode;
  kubeconfig: string | null;
}

export interface KubeClientOptions {
  /** prefix of the service account directory (tests) */
  serviceAccountPrefix?: string;
}

/** The KubeConfig for `settings`, or null when Kubernetes is off. Throws with a clear message. */
export function buildKubeConfig(settings: KubeClientSettings, options: KubeClientOptions = {}): KubeConfig | null {
  if (settings.kubernetes === 'off') return null;
  const kc = new KubeConfig();
  if (settings.kubernetes === 'in-cluster') {
    const prefix = options.serviceAccountPrefix ?? '';
    const token = `${prefix}${SERVICE_ACCOUNT_DIR}/token`;
    if (!existsSync(token)) {
      throw new Error(
        `NETATLAS_KUBERNETES=in-cluster: no service account token at ${token} (is automountServiceAccountToken off for this pod?)`,
      );
    }
    // reads KUBERNETES_SERVICE_HOST/PORT; the token file is re-read when it rotates
    kc.loadFromCluster(prefix);
  } else {
    const files = (settings.kubeconfig ?? '').split(delimiter).filter(Boolean);
    if (!files.length) throw new Error('NETATLAS_KUBERNETES=kubeconfig: no kubeconfig file given');
    files.forEach((file, i) => {
      const target = i === 0 ? kc : new KubeConfig();
      try {
        target.loadFromFile(file);
      } catch (error) {
        throw new Error(`NETATLAS_KUBERNETES=kubeconfig: cannot load the kubeconfig ${file}: ${(error as Error).message}`, { cause: error });
      }
      if (i > 0) merge(kc, target);
    });
    if (!kc.getCurrentCluster()) {
      throw new Error(
        `NETATLAS_KUBERNETES=kubeconfig: ${files.join(delimiter)} has no current context naming a cluster ` +
          `(current-context: ${JSON.stringify(kc.getCurrentContext() ?? null)})`,
      );
    }
  }
  allowPlainHttp(kc);
  checkFiles(kc, `NETATLAS_KUBERNETES=${settings.kubernetes}`);
  return kc;
}

/**
 * An `http:` server, as `kubectl proxy` serves it (`http://127.0.0.1:8001`, no credentials) or an
 * in-cluster port client-node itself treats as http (80, 8080, 8001): kubectl talks to it as it is.
 * client-node 1.4 builds an http agent only for a cluster marked insecure-skip-tls-verify and
 * otherwise refuses every request ("HTTP protocol is not allowed when skipTLSVerify is not set or
 * false", KubeConfig.createAgent): its maintainers' opt-in against sending tokens in clear text. A
 * server written as http has no TLS to verify, so the mark changes nothing else; the opt-in is the
 * kubeconfig's `http://` itself, and plainHttpWarning() says when credentials travel in clear text.
 */
function allowPlainHttp(kc: KubeConfig): void {
  if (!kc.getClusters().some(needsHttpMark)) return;
  const clusters = kc.getClusters().map((c): Cluster => (needsHttpMark(c) ? { ...c, skipTLSVerify: true } : c));
  kc.loadFromOptions({ clusters, contexts: kc.getContexts(), users: kc.getUsers(), currentContext: kc.getCurrentContext() });
}

const needsHttpMark = (c: Cluster) => isPlainHttp(c.server) && !c.skipTLSVerify && !c.proxyUrl;

function isPlainHttp(server: string): boolean {
  return /^http:\/\//i.test(server);
}

/**
 * The files the current context names are read on every request; one that cannot be read would fail
 * each of them, so it is a configuration error now rather than a failing source later.
 */
function checkFiles(kc: KubeConfig, what: string): void {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const files: Array<[string, string | undefined]> = [
    ['certificate-authority', cluster?.caFile],
    ['client-certificate', user?.certFile],
    ['client-key', user?.keyFile],
  ];
  for (const [field, file] of files) {
    if (!file) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (error) {
      throw new Error(`${what}: the ${field} file ${file} cannot be read: ${(error as Error).message}`, { cause: error });
    }
  }
}

/**
 * A warning when the current context sends credentials (a token, a password, an auth provider or
 * exec plugin) over plain http to a server that is not on this machine; null otherwise. kubectl does
 * the same without a word; the API says it once at start.
 */
export function plainHttpWarning(kc: KubeConfig | null): string | null {
  const server = kc?.getCurrentCluster()?.server;
  const user = kc?.getCurrentUser();
  if (!server || !isPlainHttp(server) || !user) return null;
  if (!(user.token || user.password || user.authProvider || user.exec)) return null;
  const host = new URL(server).hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
  if (loopback) return null;
  return `the kubeconfig sends credentials in clear text to ${server} (plain http); use https, or kubectl proxy on this machine`;
}

/** kubectl's merge: what `into` already has (by name) stays; its current context too, when set. */
function merge(into: KubeConfig, from: KubeConfig): void {
  if (!into.currentContext && from.currentContext) into.currentContext = from.currentContext;
  for (const c of from.getClusters()) if (!into.getCluster(c.name)) into.addCluster(c);
  for (const u of from.getUsers()) if (!into.getUser(u.name)) into.addUser(u);
  for (const c of from.getContexts()) if (!into.getContextObject(c.name)) into.addContext(c);
}

/** The API server's URL (no credentials), for the status and the log. */
export function kubeServer(kc: KubeConfig | null): string | null {
  return kc?.getCurrentCluster()?.server ?? null;
}

/**
 * A client for `Api` whose requests give up after `timeoutMs`: a server that accepts the
 * connection and never answers would otherwise keep the source `syncing` without a word. Built as
 * KubeConfig.makeApiClient does, plus that one middleware.
 */
export function apiClient<A>(kc: KubeConfig, Api: new (configuration: Configuration) => A, timeoutMs: number): A {
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(kubeServer(kc) ?? '', {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (context) => {
          context.setSignal(AbortSignal.timeout(timeoutMs));
          return context;
        },
        post: async (response) => response,
      },
    ],
  });
  return new Api(configuration);
}
