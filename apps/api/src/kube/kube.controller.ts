// GET /api/kubernetes: the Kubernetes connection, its health, and what the API holds of Nodes, Pods
// and Calico block affinities; GET /api/kubernetes/health: the connection and its health alone (what
// the web polls: small whatever the cluster's size).
import { Controller, Get, Inject } from '@nestjs/common';
import type { KubernetesHealthStatus, KubernetesStatus } from '@netatlas/wire';
import { KubeWatcher } from './kube-watcher.js';

@Controller('kubernetes')
export class KubeController {
  constructor(@Inject(KubeWatcher) private readonly kube: KubeWatcher) {}

  @Get()
  status(): KubernetesStatus {
    return this.kube.status();
  }

  @Get('health')
  health(): KubernetesHealthStatus {
    return { mode: this.kube.mode, server: this.kube.server, ...this.kube.health() };
  }
}
