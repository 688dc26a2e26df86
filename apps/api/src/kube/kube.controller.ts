// GET /api/kubernetes: the Kubernetes connection and what the API holds of Nodes and Pods.
import { Controller, Get, Inject } from '@nestjs/common';
import type { KubeStatus } from './kube-types.js';
import { KubeWatcher } from './kube-watcher.js';

@Controller('kubernetes')
export class KubeController {
  constructor(@Inject(KubeWatcher) private readonly kube: KubeWatcher) {}

  @Get()
  status(): KubeStatus {
    return this.kube.status();
  }
}
