// A collector on Kubernetes proves which node it runs on with its projected service-account token
// (audience NETATLAS_COLLECTOR_AUDIENCE): the API asks the Kubernetes API who the token is
// (TokenReview), requires the collectors' service account, and takes the node from the pod the
// token is bound to (its spec.nodeName, the pod's uid matching the token's). So a collector can
// speak for its own node and no other, with no secret to distribute. Answers are cached for a
// minute per token (a reconnecting fleet costs one review per collector, not per connect).
import { AuthenticationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { apiClient } from './kube-client.js';

const POD_NAME = 'authentication.kubernetes.io/pod-name';
const POD_UID = 'authentication.kubernetes.io/pod-uid';
const CACHE_MS = 60_000;

export type ReviewOutcome = { node: string } | { refused: string };

/** A JWT's shape (three base64url parts): only such a token is worth a TokenReview. */
export const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) && token.length < 8192;

export class CollectorTokenReview {
  private readonly auth: AuthenticationV1Api;
  private readonly core: CoreV1Api;
  private readonly cache = new Map<string, { outcome: ReviewOutcome; until: number }>();
  private readonly username: string;

  constructor(
    kc: KubeConfig,
    private readonly audience: string,
    /** `namespace:name` of the collectors' service account */
    serviceAccount: string,
  ) {
    this.auth = apiClient(kc, AuthenticationV1Api, 10_000);
    this.core = apiClient(kc, CoreV1Api, 10_000);
    this.username = `system:serviceaccount:${serviceAccount}`;
  }

  async review(token: string): Promise<ReviewOutcome> {
    const id = createHash('sha256').update(token).digest('base64');
    const hit = this.cache.get(id);
    if (hit && hit.until > Date.now()) return hit.outcome;
    const outcome = await this.ask(token);
    if (this.cache.size > 10_000) this.cache.clear();
    // a refusal is kept briefly too: a flood of bad tokens costs one review each, not one per try
    this.cache.set(id, { outcome, until: Date.now() + ('node' in outcome ? CACHE_MS : 10_000) });
    return outcome;
  }

  private async ask(token: string): Promise<ReviewOutcome> {
    const review = await this.auth.createTokenReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [this.audience] } },
    });
    const status = review.status;
    if (!status?.authenticated) return { refused: `Kubernetes did not authenticate the token (${status?.error ?? 'no reason given'})` };
    if (!(status.audiences ?? []).includes(this.audience)) return { refused: `the token is not for audience ${this.audience}` };
    const user = status.user?.username ?? '';
    if (user !== this.username) return { refused: `the token is ${user}'s, not the collectors' service account (${this.username})` };
    const pod = status.user?.extra?.[POD_NAME]?.[0];
    const uid = status.user?.extra?.[POD_UID]?.[0];
    if (!pod) return { refused: 'the token is not bound to a pod (mount a projected service-account token)' };
    const namespace = this.username.split(':')[2]!;
    const found = await this.core.readNamespacedPod({ name: pod, namespace }).catch(() => null);
    if (!found) return { refused: `the token's pod ${namespace}/${pod} does not exist` };
    if (uid && found.metadata?.uid !== uid) return { refused: `the token's pod ${namespace}/${pod} was replaced` };
    const node = found.spec?.nodeName;
    if (!node) return { refused: `the token's pod ${namespace}/${pod} is not scheduled on a node` };
    return { node };
  }
}
