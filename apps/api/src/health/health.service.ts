import { Inject, Injectable } from '@nestjs/common';
import { APP_VERSION } from '../app-version.js';

export interface Health {
  status: 'ok';
  version: string;
}

@Injectable()
export class HealthService {
  constructor(@Inject(APP_VERSION) private readonly version: string) {}

  check(): Health {
    return { status: 'ok', version: this.version };
  }
}
